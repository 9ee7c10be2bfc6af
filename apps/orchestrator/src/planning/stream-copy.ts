import { RenditionSpec, SegmentSpec, VideoProbe } from '@airlock/contracts';
import { FrameRate } from '@airlock/domain';

/** H.264 profiles every player decodes. */
const PLAYABLE_H264_PROFILES = new Set(['Constrained Baseline', 'Baseline', 'Main', 'High']);

/**
 * Can this rung be the source's own video stream, cut at its keyframes, instead of an encode?
 * Only when nothing about the stream needs changing: H.264 in a playable profile, 8-bit 4:2:0,
 * SDR, upright, constant rate on the planned grid, exactly the rung's size, within the rung's
 * peak bitrate, and every planned cut on a source keyframe (so each chunk starts with one).
 * Returns why not, or undefined when it can.
 */
export function whyNotStreamCopy(video: VideoProbe, fps: FrameRate, rendition: RenditionSpec, segments: readonly SegmentSpec[]): string | undefined {
  if (rendition.codec !== 'h264' || video.codec !== 'h264') return 'codec';
  if (!PLAYABLE_H264_PROFILES.has(video.profile ?? '')) return 'profile';
  if (video.pixFmt !== 'yuv420p') return 'pixel_format';
  if (video.hdr !== 'none') return 'hdr';
  if (video.rotation % 360 !== 0) return 'rotation';
  if (video.variableFrameRate || video.fps.num * fps.den !== fps.num * video.fps.den) return 'frame_rate';
  if (video.width !== rendition.width || video.height !== rendition.height) return 'size';
  // The rung's own cap (maxrate is 107 % of the target, see rateControlArgs).
  if (video.bitRate === undefined || video.bitRate > rendition.bitrateKbps * 1070) return 'bitrate';
  if (!segments.every((s) => s.gopAligned)) return 'keyframes';
  return undefined;
}

import { Probe, RenditionSpec, SegmentSpec } from '@airlock/contracts';
import { whyNotStreamCopy } from './stream-copy';
import {
  DEFAULT_PROFILES,
  DEFAULT_SEGMENT_RULES,
  FILE_PROFILES,
  findFileProfile,
  FrameRate,
  isPreviewRendition,
  Lane,
  laneFor,
  LadderDecision,
  planLadder,
  planEqualSegments,
  planSegments,
  PREVIEW_PROFILE,
  renditionSize,
  SegmentRules,
  type ByteMap,
} from '@airlock/domain';

export interface MediaPlan {
  readonly lane: Lane;
  readonly fps: FrameRate;
  readonly renditions: RenditionSpec[];
  readonly skipped: LadderDecision['skipped'];
  readonly segments: SegmentSpec[];
  readonly audio: boolean;
  /** Set for HDR sources: HDR rungs keep it, SDR rungs are tone-mapped. */
  readonly sourceHdr?: 'pq' | 'hlg';
  /** The preview sub-flow: one small rung over the first segments, published before the ladder. */
  readonly preview?: PreviewPlan;
  /** Chat files asked for (poster, animated preview, MP4), each at its size for this source. */
  readonly files: FileSpec[];
  /** Heavy rungs go to the gpu lane (GPU_LANE at planning time; kept with the plan so rebuilt flows route alike). */
  readonly gpuLane?: true;
  /** Where the source's bytes are (ISO BMFF sources): each segment task fetches only its own (segmentByteRanges). */
  readonly byteMap?: ByteMap;
  /** A segment's rungs share one FFmpeg run where they can (GROUP_RUNGS; kept with the plan so rebuilt flows group alike). */
  readonly groupRungs?: true;
}

export interface FileSpec {
  readonly name: string;
  readonly width: number;
  readonly height: number;
}

export interface PreviewPlan {
  readonly rendition: RenditionSpec;
  /** Its own short chunks over the first PREVIEW_PROFILE.maxSec seconds: many small tasks run side by side. */
  readonly segments: SegmentSpec[];
}

export interface PlanSettings {
  readonly shortLaneMaxSec: number;
  readonly segmentRules?: SegmentRules;
  /** GPU_LANE: route heavy rungs to the gpu lane (lanes.ts `workLaneFor`). */
  readonly gpuLane?: boolean;
  /** GROUP_RUNGS: encode a segment's rungs in one FFmpeg run (media-flow.builder.ts `rungGroups`). */
  readonly groupRungs?: boolean;
}

/**
 * Output frame rate, always constant: the source's, halved while above 60 fps (chat video
 * never needs more). A variable-rate source (screen recordings, phones saving power) has no
 * rate of its own, only an average: it gets 30 fps, or 60 when it averages above 30, and
 * ffmpeg's fps filter repeats or drops frames onto that grid.
 */
export function outputFps(fps: FrameRate, variable = false): FrameRate {
  if (variable) return { num: fps.num / fps.den > 30.5 ? 60 : 30, den: 1 };
  let den = fps.den;
  while (fps.num / den > 60.01) den *= 2;
  return { num: fps.num, den };
}

/** Probe + requested profiles -> everything the flow needs. Pure: no clock, no ids, no IO. */
export function planMedia(probe: Probe, requestedProfiles: readonly string[], settings: PlanSettings): MediaPlan {
  const lane = laneFor(probe.durationSec, settings.shortLaneMaxSec);
  const audio = probe.audio !== undefined;
  const video = probe.video;
  if (!video) return { lane, fps: { num: 25, den: 1 }, renditions: [], skipped: [], segments: [], audio, files: [] };

  const fps = outputFps(video.fps, video.variableFrameRate);
  const requested = requestedProfiles.length > 0 ? requestedProfiles : DEFAULT_PROFILES;
  // FFmpeg bakes the display rotation into the pixels, so rungs follow the displayed shape.
  const quarterTurn = video.rotation % 180 !== 0;
  const displayed = quarterTurn ? { width: video.height, height: video.width } : { width: video.width, height: video.height };
  // Chat profiles (the preview, the files) are planned below; the ladder gets the rungs.
  const rungs = requested.filter((p) => !isPreviewRendition(p) && !findFileProfile(p));
  const ladder = planLadder({ ...displayed, hdr: video.hdr !== 'none' }, rungs);
  const totalFrames = Math.max(1, Math.round((video.durationSec * fps.num) / fps.den));
  const segments = planSegments(video.keyframeTimes, totalFrames, fps, settings.segmentRules ?? DEFAULT_SEGMENT_RULES);
  const previewFrames = Math.min(totalFrames, Math.round((PREVIEW_PROFILE.maxSec * fps.num) / fps.den));
  const preview =
    requested.some(isPreviewRendition) && ladder.renditions.length > 0
      ? previewOf(displayed, planEqualSegments(video.keyframeTimes, previewFrames, fps, PREVIEW_CHUNK_SEC))
      : undefined;
  const renditions = ladder.renditions.map((r) => (whyNotStreamCopy(video, fps, r, segments) === undefined ? { ...r, streamCopy: true as const } : r));
  return {
    lane,
    fps,
    renditions,
    skipped: ladder.skipped,
    segments,
    audio,
    files: FILE_PROFILES.filter((f) => requested.includes(f.name)).map((f) => ({
      name: f.name,
      ...renditionSize({ ...displayed, hdr: false }, Math.min(f.shortSide, displayed.width, displayed.height)),
    })),
    ...(video.hdr === 'none' ? {} : { sourceHdr: video.hdr }),
    ...(preview ? { preview } : {}),
    ...(settings.gpuLane ? { gpuLane: true as const } : {}),
    ...(probe.byteMap ? { byteMap: probe.byteMap } : {}),
    ...(settings.groupRungs ? { groupRungs: true as const } : {}),
  };
}

/**
 * The preview is about time to first play, not size: equal chunks of about 3 s (encoded in
 * parallel on free worker slots, each a quick seek into the source) at the encoder's fastest
 * preset. Few chunks: each task costs about 0.35 s besides its encode (grant, fetch, package,
 * upload), so the 6 s preview of a 10 s 1080p clip is two tasks, one round on a 2-slot worker
 * (preview_ready 2.7 s with 2 s chunks, 2.2 s with 3 s: `node bench/first-playable.mjs --only 10 --runs 3`).
 * Equal, not cut at source keyframes: with a keyframe every 2 s those chunks were 2 s and 4 s,
 * and the preview waited for the 4 s one (equal: 3.6 -> 3.0 s, `--runs 5`, in turns).
 */
const PREVIEW_CHUNK_SEC = 3;

function previewOf(displayed: { width: number; height: number }, segments: SegmentSpec[]): PreviewPlan {
  const p = PREVIEW_PROFILE;
  const size = renditionSize({ ...displayed, hdr: false }, Math.min(p.shortSide, displayed.width, displayed.height));
  return {
    rendition: { name: p.name, codec: p.codec, bitrateKbps: p.bitrateKbps, hdr: false, speed: 'fastest', ...size },
    segments: segments.filter((s) => s.startSec < p.maxSec),
  };
}

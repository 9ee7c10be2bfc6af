import type { FrameRate } from '@airlock/domain';
import { FileProfile } from '@airlock/domain';
import { BITEXACT, COMMON_PREFIX, formatSeconds } from './ffmpeg-args.builder';
import { SDR_COLOR_ARGS, TONE_MAP_TO_SDR } from './tone-map';
import type { HdrTransfer } from './video-encoder.types';
import { rateControlArgs } from './video-encoder.types';

export interface FileOutputInput {
  readonly input: string;
  readonly output: string;
  readonly profile: FileProfile;
  /** Output size (displayed orientation, even, capped at the source). */
  readonly width: number;
  readonly height: number;
  readonly fps: FrameRate;
  readonly durationSec: number;
  readonly sourceHdr?: HdrTransfer;
}

/** No audio/subtitle/data unless asked for, and no source metadata (titles, dates, places). */
const VIDEO_ONLY = ['-map', '0:v:0', '-an', '-sn', '-dn', '-map_metadata', '-1'];

/**
 * One chat file from the whole source: the poster frame, the animated preview or the
 * normalized MP4. Like the segment builder, rotation is baked in by ffmpeg's autorotate and
 * HDR sources are tone-mapped, so every file is upright SDR.
 */
export function buildFileOutputArgs(p: FileOutputInput): string[] {
  const picture = (...head: string[]) => [...head, `scale=${p.width}:${p.height}:flags=bicubic+accurate_rnd+bitexact`, ...(p.sourceHdr ? TONE_MAP_TO_SDR : [])];
  const profile = p.profile;
  switch (profile.kind) {
    case 'poster':
      // A frame a little into the clip, past a fade from black; one frame, good JPEG quality.
      return [
        ...COMMON_PREFIX,
        ...['-ss', formatSeconds(Math.min(1, p.durationSec / 2)), '-i', p.input],
        ...VIDEO_ONLY,
        ...['-frames:v', '1', '-vf', [...picture(), 'format=yuvj420p'].join(','), '-c:v', 'mjpeg', '-q:v', '3'],
        ...BITEXACT,
        ...['-f', 'image2', p.output],
      ];
    case 'animated':
      // The first seconds at a low rate, looping forever, as chats show before playback.
      return [
        ...COMMON_PREFIX,
        ...['-t', formatSeconds(Math.min(profile.maxSec, p.durationSec)), '-i', p.input],
        ...VIDEO_ONLY,
        ...['-vf', [...picture(`fps=${profile.fps}`), 'format=yuv420p'].join(','), '-c:v', 'libwebp_anim', '-loop', '0', '-quality', '60', '-lossless', '0'],
        ...BITEXACT,
        ...['-f', 'webp', p.output],
      ];
    case 'mp4':
      // One H.264/AAC file, moov first (faststart) so it plays while it downloads.
      return [
        ...COMMON_PREFIX,
        ...['-i', p.input, '-map', '0:v:0', '-map', '0:a:0?', '-sn', '-dn', '-map_metadata', '-1'],
        ...['-vf', [...picture(`fps=${p.fps.num}/${p.fps.den}`), 'format=yuv420p'].join(',')],
        ...['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', ...rateControlArgs(profile.bitrateKbps)],
        ...['-g', String(Math.round((2 * p.fps.num) / p.fps.den)), ...(p.sourceHdr ? SDR_COLOR_ARGS : [])],
        ...['-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2'],
        ...['-movflags', '+faststart', '-f', 'mp4', p.output],
      ];
  }
}

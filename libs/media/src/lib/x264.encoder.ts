import { rateControlArgs, SINGLE_GOP, type EncodeTarget, type VideoEncoderArgs } from './video-encoder.types';

/** libx264 on the CPU: the reference encoder, and the one whose output is byte-deterministic. */
export class X264Encoder implements VideoEncoderArgs {
  readonly codec = 'h264' as const;
  readonly accel = 'cpu' as const;
  readonly encoder = 'libx264';

  deviceArgs(): string[] {
    return [];
  }

  hwDecodeArgs(): string[] {
    return [];
  }

  outputFilters(_target: EncodeTarget): string[] {
    return ['format=yuv420p'];
  }

  codecArgs(target: EncodeTarget): string[] {
    return [
      '-c:v',
      'libx264',
      // One encoder thread: x264's frame/slice threading changes rate-control decisions with
      // thread count and timing, so two runs would not produce the same bytes.
      '-threads',
      '1',
      '-preset',
      // The preview trades size for time to first play (about a quarter less CPU per chunk).
      target.rendition.speed === 'fastest' ? 'ultrafast' : 'veryfast',
      '-profile:v',
      'high',
      ...rateControlArgs(target.rendition.bitrateKbps),
      // A single IDR at the chunk start and no scene-cut keyframes (see SINGLE_GOP).
      '-g',
      SINGLE_GOP,
      '-keyint_min',
      SINGLE_GOP,
      '-sc_threshold',
      '0',
      // No B-frames: composition time equals decode time, so a chunk's tfdt is its start
      // time exactly and no edit list or negative offsets are needed at chunk joins.
      '-bf',
      '0',
      // Closed GOP: nothing may reference the previous chunk.
      '-x264-params',
      'open-gop=0',
    ];
  }
}

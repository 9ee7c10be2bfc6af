import { hdrColorArgs, rateControlArgs, type EncodeTarget, type VideoEncoderArgs } from './video-encoder.types';

/**
 * libx265 on the CPU. Same chunk rules as x264, expressed as x265 params: one keyframe,
 * no scene cuts, closed GOP, no B-frames, and a single worker thread (pools=1,
 * frame-threads=1) so the output does not depend on thread timing.
 */
export class X265Encoder implements VideoEncoderArgs {
  readonly codec = 'hevc' as const;
  readonly accel = 'cpu' as const;
  readonly encoder = 'libx265';

  deviceArgs(): string[] {
    return [];
  }

  hwDecodeArgs(): string[] {
    return [];
  }

  outputFilters(target: EncodeTarget): string[] {
    // HDR needs 10 bits: 8-bit PQ/HLG bands visibly.
    return [target.rendition.hdr ? 'format=yuv420p10le' : 'format=yuv420p'];
  }

  codecArgs(target: EncodeTarget): string[] {
    return [
      '-c:v',
      'libx265',
      '-preset',
      'fast',
      // hvc1 (parameter sets in the sample entry) is what Apple players require for HLS.
      '-tag:v',
      'hvc1',
      ...rateControlArgs(target.rendition.bitrateKbps),
      ...(target.rendition.hdr ? hdrColorArgs(target.hdrTransfer) : []),
      // log-level=error: x265 logs its own banner and stats to stderr at info level,
      // ignoring ffmpeg's -v; that noise would push real errors out of the stderr tail.
      '-x265-params',
      'keyint=100000:min-keyint=100000:scenecut=0:open-gop=0:bframes=0:pools=1:frame-threads=1:log-level=error',
    ];
  }
}

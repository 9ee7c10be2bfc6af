import {
  hdrColorArgs,
  rateControlArgs,
  SINGLE_GOP,
  type EncodeTarget,
  type VideoCodec,
  type VideoEncoderArgs,
} from './video-encoder.types';

/**
 * NVIDIA NVENC (h264_nvenc / hevc_nvenc). Frames are scaled on the CPU and uploaded by the
 * encoder itself, so no hw device or hwupload is needed. Output is not byte-deterministic
 * across GPUs/drivers; chunk joins still work because the GOP rules are the same.
 */
export class NvencEncoder implements VideoEncoderArgs {
  readonly accel = 'nvenc' as const;
  readonly encoder: string;

  constructor(readonly codec: VideoCodec) {
    this.encoder = codec === 'h264' ? 'h264_nvenc' : 'hevc_nvenc';
  }

  deviceArgs(): string[] {
    return [];
  }

  hwDecodeArgs(): string[] {
    return ['-hwaccel', 'cuda'];
  }

  outputFilters(target: EncodeTarget): string[] {
    return [target.rendition.hdr ? 'format=p010le' : 'format=yuv420p'];
  }

  codecArgs(target: EncodeTarget): string[] {
    const hevc = this.codec === 'hevc';
    return [
      '-c:v',
      this.encoder,
      '-preset',
      'p4',
      '-tune',
      'hq',
      '-profile:v',
      hevc ? (target.rendition.hdr ? 'main10' : 'main') : 'high',
      ...(hevc ? ['-tag:v', 'hvc1'] : []),
      '-rc',
      'vbr',
      ...rateControlArgs(target.rendition.bitrateKbps),
      ...(target.rendition.hdr ? hdrColorArgs(target.hdrTransfer) : []),
      // Single closed GOP, no B-frames, no scene-cut I-frames, first frame an IDR.
      '-g',
      SINGLE_GOP,
      '-bf',
      '0',
      '-no-scenecut',
      '1',
      '-forced-idr',
      '1',
    ];
  }
}

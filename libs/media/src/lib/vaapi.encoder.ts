import {
  hdrColorArgs,
  rateControlArgs,
  SINGLE_GOP,
  type EncodeTarget,
  type VideoCodec,
  type VideoEncoderArgs,
} from './video-encoder.types';

export const DEFAULT_VAAPI_DEVICE = '/dev/dri/renderD128';

/**
 * VAAPI (h264_vaapi / hevc_vaapi; Intel and AMD on Linux). The encoder only accepts VAAPI
 * surfaces: frames are scaled on the CPU, converted to NV12/P010 and uploaded with hwupload
 * to a device created before the input.
 */
export class VaapiEncoder implements VideoEncoderArgs {
  readonly accel = 'vaapi' as const;
  readonly encoder: string;

  constructor(
    readonly codec: VideoCodec,
    private readonly device: string = DEFAULT_VAAPI_DEVICE,
  ) {
    this.encoder = codec === 'h264' ? 'h264_vaapi' : 'hevc_vaapi';
  }

  deviceArgs(): string[] {
    return ['-init_hw_device', `vaapi=va:${this.device}`, '-filter_hw_device', 'va'];
  }

  hwDecodeArgs(): string[] {
    return ['-hwaccel', 'vaapi', '-hwaccel_device', 'va'];
  }

  outputFilters(target: EncodeTarget): string[] {
    return [target.rendition.hdr ? 'format=p010' : 'format=nv12', 'hwupload'];
  }

  codecArgs(target: EncodeTarget): string[] {
    const hevc = this.codec === 'hevc';
    return [
      '-c:v',
      this.encoder,
      '-profile:v',
      hevc ? (target.rendition.hdr ? 'main10' : 'main') : 'high',
      ...(hevc ? ['-tag:v', 'hvc1'] : []),
      '-rc_mode',
      'VBR',
      ...rateControlArgs(target.rendition.bitrateKbps),
      ...(target.rendition.hdr ? hdrColorArgs(target.hdrTransfer) : []),
      '-g',
      SINGLE_GOP,
      '-bf',
      '0',
      '-idr_interval',
      '0',
    ];
  }
}

import {
  hdrColorArgs,
  rateControlArgs,
  SINGLE_GOP,
  type EncodeTarget,
  type VideoCodec,
  type VideoEncoderArgs,
} from './video-encoder.types';

/**
 * Intel Quick Sync (h264_qsv / hevc_qsv). QSV encoders take GPU surfaces, so the CPU-scaled
 * frames are converted to NV12/P010 and uploaded through a QSV device created up front.
 */
export class QsvEncoder implements VideoEncoderArgs {
  readonly accel = 'qsv' as const;
  readonly encoder: string;

  constructor(readonly codec: VideoCodec) {
    this.encoder = codec === 'h264' ? 'h264_qsv' : 'hevc_qsv';
  }

  deviceArgs(): string[] {
    return ['-init_hw_device', 'qsv=hw', '-filter_hw_device', 'hw'];
  }

  hwDecodeArgs(): string[] {
    return ['-hwaccel', 'qsv', '-hwaccel_device', 'hw'];
  }

  outputFilters(target: EncodeTarget): string[] {
    // extra_hw_frames: the encoder keeps reference surfaces; without spare frames the pool runs dry.
    return [target.rendition.hdr ? 'format=p010le' : 'format=nv12', 'hwupload=extra_hw_frames=64', 'format=qsv'];
  }

  codecArgs(target: EncodeTarget): string[] {
    const hevc = this.codec === 'hevc';
    return [
      '-c:v',
      this.encoder,
      '-preset',
      'veryfast',
      '-profile:v',
      hevc ? (target.rendition.hdr ? 'main10' : 'main') : 'high',
      ...(hevc ? ['-tag:v', 'hvc1'] : []),
      ...rateControlArgs(target.rendition.bitrateKbps),
      ...(target.rendition.hdr ? hdrColorArgs(target.hdrTransfer) : []),
      '-g',
      SINGLE_GOP,
      '-bf',
      '0',
      // Every I-frame is an IDR (there is only one).
      '-idr_interval',
      '0',
      // h264_qsv can insert I-frames on its own at scene changes; turn that off.
      ...(hevc ? [] : ['-adaptive_i', '0', '-adaptive_b', '0', '-look_ahead', '0']),
    ];
  }
}

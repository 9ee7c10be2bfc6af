import { NvencEncoder } from './nvenc.encoder';
import { QsvEncoder } from './qsv.encoder';
import { VaapiEncoder } from './vaapi.encoder';
import type { Accel, VideoCodec, VideoEncoderArgs } from './video-encoder.types';
import { X264Encoder } from './x264.encoder';
import { X265Encoder } from './x265.encoder';

export interface EncoderFactoryOptions {
  /** DRM render node for VAAPI, when the host has more than one GPU. */
  readonly vaapiDevice?: string;
}

/** Picks the argument builder for a codec on an acceleration path. */
export function encoderFor(codec: VideoCodec, accel: Accel, options: EncoderFactoryOptions = {}): VideoEncoderArgs {
  switch (accel) {
    case 'cpu':
      return codec === 'h264' ? new X264Encoder() : new X265Encoder();
    case 'nvenc':
      return new NvencEncoder(codec);
    case 'qsv':
      return new QsvEncoder(codec);
    case 'vaapi':
      return new VaapiEncoder(codec, options.vaapiDevice);
  }
}

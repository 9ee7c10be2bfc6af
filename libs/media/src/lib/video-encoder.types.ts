import type { RenditionSpec } from '@airlock/contracts';

/** Where a video encode runs. Only 'cpu' is exercised in CI; the GPU shapes are kept ready for GPU lanes. */
export type Accel = 'cpu' | 'nvenc' | 'qsv' | 'vaapi';
export const ACCELS: readonly Accel[] = ['cpu', 'nvenc', 'qsv', 'vaapi'];

export type VideoCodec = RenditionSpec['codec'];

/** Transfer function signalled on HDR outputs. The rendition only says "hdr"; the source decides PQ vs HLG. */
export type HdrTransfer = 'pq' | 'hlg';

export interface EncodeTarget {
  readonly rendition: RenditionSpec;
  readonly hdrTransfer: HdrTransfer;
}

/**
 * One encoder's share of an ffmpeg command line. The segment builder owns everything that
 * must be identical across encoders (seek, frame count, fps/scale, bitexact, fMP4 flags);
 * an encoder only decides device setup, pixel format/upload and its own codec options.
 */
export interface VideoEncoderArgs {
  readonly codec: VideoCodec;
  readonly accel: Accel;
  /** ffmpeg encoder name, e.g. libx264 or hevc_nvenc. */
  readonly encoder: string;
  /** Global options placed before the input (hardware device creation). */
  deviceArgs(): string[];
  /** Input options that decode the source on this class's hardware, frames downloaded for the CPU filters. */
  hwDecodeArgs(): string[];
  /** Filters appended after fps and scale: final pixel format and, for VAAPI/QSV, the upload to the GPU. */
  outputFilters(target: EncodeTarget): string[];
  /** `-c:v <encoder>` and its rate control, GOP and colour options. */
  codecArgs(target: EncodeTarget): string[];
}

/**
 * Rate control shared by all encoders: capped VBR. maxrate at 107 % of the target keeps
 * peaks close to the advertised BANDWIDTH; a two-second buffer (2x bitrate) is what
 * HLS/DASH players assume.
 */
export function rateControlArgs(bitrateKbps: number): string[] {
  return ['-b:v', `${bitrateKbps}k`, '-maxrate', `${Math.round(bitrateKbps * 1.07)}k`, '-bufsize', `${bitrateKbps * 2}k`];
}

/**
 * GOP longer than any chunk: the only keyframe is the forced first frame, so every chunk is
 * exactly one closed GOP starting with an IDR, which is what lets independently encoded
 * chunks be concatenated.
 */
export const SINGLE_GOP = '100000';

/** BT.2020 colour tags for HDR outputs, so players switch to HDR output instead of showing washed-out SDR. */
export function hdrColorArgs(transfer: HdrTransfer): string[] {
  return [
    '-color_primaries',
    'bt2020',
    '-color_trc',
    transfer === 'pq' ? 'smpte2084' : 'arib-std-b67',
    '-colorspace',
    'bt2020nc',
  ];
}

import type { FfprobeFormat, FfprobeJson, FfprobeStream, ProbeEvidence } from './probe-parse';

/**
 * Builders for ffprobe JSON as it comes out of `ffprobe -print_format json -show_format
 * -show_streams`, shaped after real output of ffmpeg 5.1 (numbers as strings where ffprobe
 * prints strings). Tests override only the fields they are about.
 */

export function videoStream(overrides: Partial<FfprobeStream> = {}): FfprobeStream {
  return {
    index: 0,
    codec_name: 'h264',
    codec_type: 'video',
    profile: 'High',
    width: 1920,
    height: 1080,
    pix_fmt: 'yuv420p',
    color_transfer: 'bt709',
    color_primaries: 'bt709',
    r_frame_rate: '30/1',
    avg_frame_rate: '30/1',
    duration: '10.000000',
    bit_rate: '4000000',
    nb_frames: '300',
    disposition: { default: 1, attached_pic: 0 },
    tags: { language: 'und', handler_name: 'VideoHandler' },
    ...overrides,
  };
}

export function audioStream(overrides: Partial<FfprobeStream> = {}): FfprobeStream {
  return {
    index: 1,
    codec_name: 'aac',
    codec_type: 'audio',
    profile: 'LC',
    sample_rate: '48000',
    channels: 2,
    duration: '10.000000',
    bit_rate: '128000',
    disposition: { default: 1, attached_pic: 0 },
    ...overrides,
  };
}

export function mp4Format(overrides: Partial<FfprobeFormat> = {}): FfprobeFormat {
  return {
    format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
    start_time: '0.000000',
    duration: '10.000000',
    size: '5000000',
    bit_rate: '4000000',
    ...overrides,
  };
}

export function ffprobeJson(streams: FfprobeStream[], format: Partial<FfprobeFormat> = {}): FfprobeJson {
  return { streams, format: mp4Format(format) };
}

/** A display matrix side-data entry as ffprobe prints it; `rotation` is counter-clockwise. */
export function displayMatrix(rotation: number): Record<string, unknown> {
  return { side_data_type: 'Display Matrix', displaymatrix: '\n00000000: ...\n', rotation };
}

/** Evidence for parseProbe: a healthy 10 s 1080p30 H.264/AAC MP4 unless overridden. */
export function evidence(overrides: Partial<ProbeEvidence> = {}): ProbeEvidence {
  return {
    sizeBytes: 5_000_000,
    ffprobe: ffprobeJson([videoStream(), audioStream()]),
    errorLines: [],
    keyframeTimes: [0, 2, 4, 6, 8],
    ...overrides,
  };
}

/** First bytes of an MP4 (size + 'ftyp' + brand) and of a text file. */
export const MP4_HEAD = Uint8Array.from([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]);
export const TEXT_HEAD = Uint8Array.from(Buffer.from('hello, this is', 'latin1'));

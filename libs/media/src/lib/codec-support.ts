/**
 * What the pipeline accepts as input. Anything outside these lists is rejected at probe
 * time with `unsupported_codec`, before any compute is spent on it, instead of failing
 * halfway through a ladder of encodes.
 */
export const SUPPORTED_VIDEO_CODECS: ReadonlySet<string> = new Set([
  'h264',
  'hevc',
  'vp8',
  'vp9',
  'av1',
  'mpeg4',
  'mpeg2video',
  'prores',
  'mjpeg',
]);

export const SUPPORTED_AUDIO_CODECS: ReadonlySet<string> = new Set([
  'aac',
  'mp3',
  'opus',
  'vorbis',
  'flac',
  'ac3',
  'eac3',
  'alac',
]);

export function isSupportedVideoCodec(codec: string): boolean {
  return SUPPORTED_VIDEO_CODECS.has(codec);
}

export function isSupportedAudioCodec(codec: string): boolean {
  // PCM comes in many sample layouts (pcm_s16le, pcm_s24be, pcm_f32le, ...); all are trivially decodable.
  return SUPPORTED_AUDIO_CODECS.has(codec) || codec.startsWith('pcm_');
}

/**
 * Demuxers ffprobe uses for still images and text. They "succeed" on such files and
 * even report a video stream, but a single picture or a text page is not media we transcode.
 */
const IMAGE_OR_TEXT_FORMATS: ReadonlySet<string> = new Set(['image2', 'tty', 'gif', 'ico', 'apng', 'webp']);

/** Codecs that only ever describe still pictures or text rendering. */
const IMAGE_OR_TEXT_CODECS: ReadonlySet<string> = new Set([
  'png',
  'apng',
  'bmp',
  'gif',
  'tiff',
  'webp',
  'jpeg2000',
  'jpegls',
  'ansi',
  'bintext',
  'xbin',
  'idf',
  'pam',
  'pbm',
  'pgm',
  'ppm',
  'psd',
  'qoi',
  'sgi',
  'svg',
  'xbm',
  'xpm',
  'xwd',
]);

export function isImageOrTextFormat(formatName: string): boolean {
  // ffprobe reports a comma-separated list of names for multi-name demuxers ("mov,mp4,m4a,...").
  return formatName.split(',').some((name) => IMAGE_OR_TEXT_FORMATS.has(name) || name.endsWith('_pipe'));
}

export function isImageOrTextCodec(codec: string): boolean {
  return IMAGE_OR_TEXT_CODECS.has(codec);
}

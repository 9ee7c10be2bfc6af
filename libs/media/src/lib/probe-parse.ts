import { probeSchema, type Probe, type ProbeOutcome, type VideoProbe } from '@airlock/contracts';
import type { FrameRate } from '@airlock/domain';
import { z } from 'zod';
import {
  isImageOrTextCodec,
  isImageOrTextFormat,
  isSupportedAudioCodec,
  isSupportedVideoCodec,
} from './codec-support';
import type { SourceByteMap } from './source-byte-map';

/**
 * Pure interpretation of ffprobe output. The adapter (ffprobe.adapter.ts) only runs the
 * processes and hands their output here, so every accept/reject rule is unit-testable
 * on fixture JSON without media files.
 *
 * Messages are written for support staff and end users: they never echo ffprobe's own
 * text (which contains the file path) and never contain paths.
 */

/** ffprobe prints numbers sometimes as JSON numbers, sometimes as strings ("6.000000", "N/A"). */
const num = z.union([z.number(), z.string()]).optional();

const streamSchema = z.object({
  index: num,
  codec_name: z.string().optional(),
  codec_type: z.string().optional(),
  profile: z.string().optional(),
  width: num,
  height: num,
  pix_fmt: z.string().optional(),
  color_transfer: z.string().optional(),
  color_primaries: z.string().optional(),
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  duration: num,
  bit_rate: num,
  nb_frames: num,
  sample_rate: num,
  channels: num,
  disposition: z.record(z.string(), z.unknown()).optional(),
  tags: z.record(z.string(), z.unknown()).optional(),
  side_data_list: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type FfprobeStream = z.infer<typeof streamSchema>;

const formatSchema = z.object({
  format_name: z.string().optional(),
  start_time: num,
  duration: num,
  size: num,
  bit_rate: num,
});
export type FfprobeFormat = z.infer<typeof formatSchema>;

export const ffprobeJsonSchema = z.object({
  streams: z.array(streamSchema).optional(),
  format: formatSchema.optional(),
});
export type FfprobeJson = z.infer<typeof ffprobeJsonSchema>;

export interface ProbeEvidence {
  readonly sizeBytes: number;
  /**
   * ffprobe's JSON (-show_format -show_streams), or null when ffprobe could not open
   * the file at all (non-zero exit).
   */
  readonly ffprobe: unknown;
  /** Error lines ffprobe printed at -v error while reading headers or listing packets. */
  readonly errorLines: readonly string[];
  /** pts (seconds) of video packets flagged K, as listed by ffprobe (absolute, not yet rebased). */
  readonly keyframeTimes: readonly number[];
  /**
   * First bytes of the file. Lets an unopenable file that starts like an ISO-BMFF file
   * (ftyp box) be told apart from a file that never was media: the former is a cut-off upload.
   */
  readonly head?: Uint8Array;
  /** Where the bytes are, when the container lets a segment be read on its own (source-byte-map.ts). */
  readonly byteMap?: SourceByteMap;
}

type Rejection = Extract<ProbeOutcome, { ok: false }>;

/** 8K x 8K: beyond any camera, and the point where one decoded frame costs ~100 MB. */
export const MAX_SOURCE_PIXELS = 8192 * 8192;
const reject = (code: Rejection['code'], message: string): Rejection => ({ ok: false, code, message });

export function parseProbe(evidence: ProbeEvidence): ProbeOutcome {
  if (evidence.sizeBytes === 0) return reject('empty_upload', 'The upload is empty (0 bytes).');

  if (evidence.ffprobe === null || evidence.ffprobe === undefined) {
    return looksLikeIsoBmff(evidence.head)
      ? reject(
          'truncated_media',
          'The file starts like an MP4/MOV file but its index (moov box) could not be read; the upload is probably truncated.',
        )
      : reject('not_media', 'The file could not be opened as video or audio.');
  }

  const parsed = ffprobeJsonSchema.safeParse(evidence.ffprobe);
  if (!parsed.success) return reject('not_media', 'The file could not be described as video or audio.');
  const { streams = [], format = {} } = parsed.data;
  const formatName = format.format_name ?? '';

  if (isImageOrTextFormat(formatName)) {
    return reject('not_media', 'The file is a still image or text, not a video or audio file.');
  }

  // Cover art in audio files is a "video" stream with the attached_pic disposition; it is not video.
  const videoStream = streams.find((s) => s.codec_type === 'video' && toInt(s.disposition?.['attached_pic']) !== 1);
  const audioStream = streams.find((s) => s.codec_type === 'audio');
  if (!videoStream && !audioStream) return reject('not_media', 'The file contains no video or audio streams.');
  if (videoStream && !audioStream && isImageOrTextCodec(videoStream.codec_name ?? '')) {
    return reject('not_media', 'The file is a still image or text, not a video or audio file.');
  }

  // A decompression bomb announces itself in the header: refuse before anything decodes a frame.
  const declaredPixels = (toInt(videoStream?.width) ?? 0) * (toInt(videoStream?.height) ?? 0);
  if (declaredPixels > MAX_SOURCE_PIXELS) {
    return reject('absurd_dimensions', `The video header declares ${videoStream?.width}x${videoStream?.height} pixels per frame.`);
  }

  if (evidence.errorLines.length > 0) {
    return reject('truncated_media', 'The file is truncated or corrupt: errors were found while reading its packets.');
  }

  const durationSec =
    positive(toFloat(format.duration)) ?? positive(toFloat(videoStream?.duration)) ?? positive(toFloat(audioStream?.duration));
  if (durationSec === undefined) {
    return reject('truncated_media', 'The file has streams but no usable duration; it is probably truncated or corrupt.');
  }

  if (videoStream && !isSupportedVideoCodec(videoStream.codec_name ?? '')) {
    return reject('unsupported_codec', `The video codec "${codecLabel(videoStream)}" is not supported.`);
  }
  if (audioStream && !isSupportedAudioCodec(audioStream.codec_name ?? '')) {
    return reject('unsupported_codec', `The audio codec "${codecLabel(audioStream)}" is not supported.`);
  }

  let video: VideoProbe | undefined;
  if (videoStream) {
    const result = describeVideo(videoStream, durationSec, rebaseKeyframes(evidence.keyframeTimes, toFloat(format.start_time)));
    if (!result.ok) return result;
    video = result.video;
  }

  const audio = audioStream ? describeAudio(audioStream, durationSec) : undefined;

  const probe: Probe = {
    formatName,
    durationSec,
    sizeBytes: evidence.sizeBytes,
    ...optional('bitRate', positive(toInt(format.bit_rate))),
    ...(video ? { video } : {}),
    ...(audio ? { audio } : {}),
    ...(video && evidence.byteMap ? { byteMap: { header: evidence.byteMap.header.map(([s, e]) => [s, e] as [number, number]), keyframes: evidence.byteMap.keyframes.map(([t, p]) => [t, p] as [number, number]), videoEnd: evidence.byteMap.videoEnd } } : {}),
  };

  // Last line of defence: what leaves here must satisfy the contract the planner parses.
  const checked = probeSchema.safeParse(probe);
  if (!checked.success) return reject('not_media', 'The file could not be described as usable video or audio.');
  return { ok: true, probe: checked.data };
}

function describeVideo(
  s: FfprobeStream,
  formatDurationSec: number,
  keyframeTimes: number[],
): { ok: true; video: VideoProbe } | Rejection {
  const width = toInt(s.width) ?? 0;
  const height = toInt(s.height) ?? 0;
  if (width <= 0 || height <= 0) {
    return reject('truncated_media', 'The video stream has no picture size; the file is probably truncated or corrupt.');
  }

  const avg = parseRate(s.avg_frame_rate);
  const real = parseRate(s.r_frame_rate);
  const fps = avg ?? real;
  if (!fps) return reject('not_media', 'The video stream has no usable frame rate.');

  const durationSec = positive(toFloat(s.duration)) ?? formatDurationSec;
  const nbFrames = positive(toInt(s.nb_frames));
  const transfer = s.color_transfer;

  const video: VideoProbe = {
    codec: s.codec_name ?? 'unknown',
    ...optional('profile', s.profile),
    width,
    height,
    rotation: rotationOf(s),
    fps,
    variableFrameRate: avg !== undefined && real !== undefined && differsByMoreThan(avg, real, 0.01),
    ...optional('pixFmt', s.pix_fmt),
    ...optional('colorTransfer', transfer),
    ...optional('colorPrimaries', s.color_primaries),
    hdr: transfer === 'smpte2084' ? 'pq' : transfer === 'arib-std-b67' ? 'hlg' : 'none',
    durationSec,
    frameCount: nbFrames ?? Math.round((durationSec * fps.num) / fps.den),
    ...optional('bitRate', positive(toInt(s.bit_rate))),
    keyframeTimes,
  };
  return { ok: true, video };
}

function describeAudio(s: FfprobeStream, formatDurationSec: number): Probe['audio'] {
  const channels = toInt(s.channels);
  const sampleRate = toInt(s.sample_rate);
  // An audio stream without channels or rate cannot be encoded; treat the file as video-only
  // rather than failing it (the schema needs positive numbers).
  if (!channels || channels <= 0 || !sampleRate || sampleRate <= 0) return undefined;
  return {
    codec: s.codec_name ?? 'unknown',
    channels,
    sampleRate,
    durationSec: positive(toFloat(s.duration)) ?? formatDurationSec,
  };
}

/**
 * Clockwise degrees the picture must be turned for display, one of 0/90/180/270.
 * ffprobe prints the display matrix angle counter-clockwise (a phone portrait clip shows
 * -90), the legacy `rotate` tag clockwise (90); both map to 90 here, the same direction
 * ffmpeg's autorotate applies.
 */
export function rotationOf(s: Pick<FfprobeStream, 'side_data_list' | 'tags'>): number {
  const fromMatrix = s.side_data_list?.map((d) => toFloat(d['rotation'])).find((r) => r !== undefined);
  if (fromMatrix !== undefined) return normalizeRotation(-fromMatrix);
  const tag = toFloat(s.tags?.['rotate']);
  return tag !== undefined ? normalizeRotation(tag) : 0;
}

export function normalizeRotation(degrees: number): number {
  const quarter = Math.round(degrees / 90) * 90;
  return ((quarter % 360) + 360) % 360;
}

/** Parses "30000/1001" or "30/1" into a reduced fraction; "0/0" and garbage give undefined. */
export function parseRate(text: string | undefined): FrameRate | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text?.trim() ?? '');
  if (!m) return undefined;
  const n = Number(m[1]);
  const d = Number(m[2]);
  if (!(n > 0) || !(d > 0) || !Number.isSafeInteger(n) || !Number.isSafeInteger(d)) return undefined;
  const g = gcd(n, d);
  return { num: n / g, den: d / g };
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function differsByMoreThan(a: FrameRate, b: FrameRate, fraction: number): boolean {
  const x = a.num / a.den;
  const y = b.num / b.den;
  return Math.abs(x - y) > fraction * Math.max(x, y);
}

/**
 * Keyframe pts are absolute stream timestamps; ffmpeg's `-ss` counts from the container's
 * start_time. Rebasing here means the planner's cut times are directly usable as -ss values
 * (MPEG-TS sources, for example, commonly start at 1.4 s). Rounded to microseconds, the
 * precision ffmpeg parses -ss with, so float noise does not leak into the plan.
 */
export function rebaseKeyframes(times: readonly number[], startSec: number | undefined): number[] {
  const base = startSec ?? 0;
  const out = new Set<number>();
  for (const t of times) {
    if (!Number.isFinite(t)) continue;
    const rebased = Math.round((t - base) * 1e6) / 1e6;
    if (rebased >= 0) out.add(rebased);
  }
  return [...out].sort((a, b) => a - b);
}

/** Keeps lines ffprobe printed to stderr; at -v error every non-empty line is an error. */
export function errorLinesOf(stderr: string): string[] {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

function looksLikeIsoBmff(head: Uint8Array | undefined): boolean {
  if (!head || head.length < 8) return false;
  const type = String.fromCharCode(head[4], head[5], head[6], head[7]);
  return type === 'ftyp' || type === 'moov' || type === 'mdat' || type === 'wide' || type === 'free';
}

function codecLabel(s: FfprobeStream): string {
  return (s.codec_name ?? 'unknown').replace(/[^\w.-]/g, '').slice(0, 32) || 'unknown';
}

function toFloat(v: unknown): number | undefined {
  if (typeof v !== 'number' && (typeof v !== 'string' || v.trim() === '')) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function toInt(v: unknown): number | undefined {
  const n = toFloat(v);
  return n === undefined ? undefined : Math.round(n);
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

/** Builds `{ key: value }` only when value is defined, so optional schema fields stay absent rather than undefined. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

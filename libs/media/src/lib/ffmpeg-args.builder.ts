import type { RenditionSpec, SegmentSpec } from '@airlock/contracts';
import type { FrameRate } from '@airlock/domain';
import { encoderFor, type EncoderFactoryOptions } from './encoder.factory';
import { SDR_COLOR_ARGS, TONE_MAP_TO_SDR } from './tone-map';
import type { Accel, HdrTransfer } from './video-encoder.types';

/**
 * Pure builders for ffmpeg/ffprobe command lines. They return argument arrays (never a
 * shell string), so paths and URLs are passed verbatim and nothing can be injected.
 */

export interface SegmentEncodeInput {
  /** Local path or (presigned) URL of the source. */
  readonly input: string;
  /** Local path of the fragmented MP4 to write. */
  readonly output: string;
  readonly segment: SegmentSpec;
  /** Output frame rate: the probe's fps, the grid the segment plan was cut on. */
  readonly fps: FrameRate;
  readonly rendition: RenditionSpec;
  readonly accel: Accel;
  /** 'hw' decodes the source on the encoder's GPU too (the first rung of the fallback ladder). */
  readonly decode?: 'hw' | 'sw';
  /** The source's HDR transfer (from the probe), absent for SDR sources. HDR rungs signal it; SDR rungs are tone-mapped from it. */
  readonly sourceHdr?: HdrTransfer;
  readonly encoderOptions?: EncoderFactoryOptions;
}

/** Same flags on every command: quiet, never prompt, overwrite the (temp) output. */
export const COMMON_PREFIX = ['-hide_banner', '-nostdin', '-v', 'error', '-y'];

/**
 * `-flags +bitexact` (codec) and `-fflags +bitexact` (muxer) drop the encoder version
 * string, creation times and other run-dependent bytes, so the same chunk encoded twice
 * (a retry, another worker) is byte-identical and its sha256 verifies.
 */
export const BITEXACT = ['-flags', '+bitexact', '-fflags', '+bitexact'];

/**
 * Seconds with 6 decimals: the microsecond precision ffmpeg parses -ss with. Fixed
 * formatting keeps the command line identical across workers (no 4.000000000001).
 */
export function formatSeconds(sec: number): string {
  return sec.toFixed(6);
}

/**
 * One segment x rendition chunk. The flag recipe was measured to make independently
 * encoded chunks join seamlessly and to make output byte-deterministic; change it only
 * together with the integration tests.
 */
export function buildSegmentEncodeArgs(p: SegmentEncodeInput): string[] {
  assertArg(p.input, 'input');
  assertArg(p.output, 'output');
  const rung = rungOf(p, p.rendition);
  const encoder = encoderFor(p.rendition.codec, p.accel, p.encoderOptions);
  return [
    ...decodedInput(p, encoder, p.rendition.speed),
    ...chunkStreams('0:v:0', p.segment),
    // fps before scale: the frame grid is fixed first (dropping/duplicating on the source's
    // timestamps), so every chunk sees the same frames whatever the seek position.
    '-vf',
    [`fps=${p.fps.num}/${p.fps.den}`, ...rung.filters].join(','),
    ...rung.output,
    ...chunkOutput(p.segment, p.output),
  ];
}

export interface SegmentGroupEncodeInput extends Omit<SegmentEncodeInput, 'output' | 'rendition'> {
  /** One chunk per rung, each its own file. */
  readonly outputs: readonly { readonly rendition: RenditionSpec; readonly output: string }[];
}

/**
 * Several rungs of one chunk in one run: the source is sought and decoded once, put on the frame
 * grid once, then split to each rung's scaler and encoder. Each output gets exactly the frames,
 * filters and encoder arguments buildSegmentEncodeArgs gives it alone, so the bytes are the same.
 */
export function buildSegmentGroupEncodeArgs(p: SegmentGroupEncodeInput): string[] {
  assertArg(p.input, 'input');
  if (p.outputs.length < 2) throw new RangeError('a group encodes at least two rungs');
  const rungs = p.outputs.map((o) => {
    assertArg(o.output, 'output');
    return rungOf(p, o.rendition);
  });
  const encoder = encoderFor(p.outputs[0].rendition.codec, p.accel, p.encoderOptions);
  const graph = [
    `[0:v:0]fps=${p.fps.num}/${p.fps.den},split=${rungs.length}${rungs.map((_, i) => `[in${i}]`).join('')}`,
    ...rungs.map((r, i) => `[in${i}]${r.filters.join(',')}[out${i}]`),
  ].join(';');
  return [
    ...decodedInput(p, encoder),
    '-filter_complex',
    graph,
    ...p.outputs.flatMap((o, i) => [...chunkStreams(`[out${i}]`, p.segment), ...rungs[i].output, ...chunkOutput(p.segment, o.output)]),
  ];
}

/**
 * The source, decoded on one thread from the seek point: the same for one rung or a group. A
 * `fastest` rung (the preview) skips the decoder's deblocking: decoding a 1080p source is most of
 * a preview chunk's CPU, and the small errors this leaves are lost in the downscale (a source no
 * larger than the preview shows a little more blocking in its first seconds).
 */
function decodedInput(p: Pick<SegmentEncodeInput, 'input' | 'segment' | 'decode'>, encoder: ReturnType<typeof encoderFor>, speed?: RenditionSpec['speed']): string[] {
  return [
    ...COMMON_PREFIX,
    ...encoder.deviceArgs(),
    ...(p.decode === 'hw' ? encoder.hwDecodeArgs() : []),
    // One decoder thread: frame-threaded decoding can deliver different frames around the
    // seek point; single-threaded is repeatable.
    '-threads',
    '1',
    ...(speed === 'fastest' ? ['-skip_loop_filter', 'all'] : []),
    ...seekInput(p.input, p.segment),
  ];
}

/** One rung's checks, its filters after the frame grid, and its encoder's output arguments. */
function rungOf(p: Omit<SegmentEncodeInput, 'output' | 'rendition'>, rendition: RenditionSpec): { filters: string[]; output: string[] } {
  assertPositiveInt(p.segment.frameCount, 'segment.frameCount');
  assertPositiveInt(p.fps.num, 'fps.num');
  assertPositiveInt(p.fps.den, 'fps.den');
  assertEvenSize(rendition);
  assertPositiveInt(rendition.bitrateKbps, 'rendition.bitrateKbps');
  if (!(p.segment.startSec >= 0)) throw new RangeError('segment.startSec must be >= 0');
  if (rendition.hdr && rendition.codec !== 'hevc') {
    throw new RangeError(`HDR rendition "${rendition.name}" must use hevc (h264 has no 10-bit player support)`);
  }
  if (rendition.hdr && !p.sourceHdr) throw new RangeError(`HDR rendition "${rendition.name}" needs an HDR source`);
  const toneMap = !rendition.hdr && p.sourceHdr !== undefined;
  const encoder = encoderFor(rendition.codec, p.accel, p.encoderOptions);
  const target = { rendition, hdrTransfer: p.sourceHdr ?? 'pq' };
  return {
    filters: [
      // Bit-exact, accurately rounded scaling: swscale's SIMD paths otherwise vary by CPU. A
      // `fastest` rung averages areas instead of bicubic: about half the scaler's CPU.
      `scale=${rendition.width}:${rendition.height}:flags=${rendition.speed === 'fastest' ? 'area' : 'bicubic'}+accurate_rnd+bitexact`,
      ...(toneMap ? TONE_MAP_TO_SDR : []),
      ...encoder.outputFilters(target),
    ],
    output: [...encoder.codecArgs(target), ...(toneMap ? SDR_COLOR_ARGS : []), ...BITEXACT],
  };
}

/** Only the chosen video stream, no audio, subtitle or data tracks, no source metadata. */
const CHUNK_STREAMS = ['-an', '-sn', '-dn', '-map_metadata', '-1'];

/**
 * Input seek (before -i): fast keyframe seek, then ffmpeg decodes and discards up to the exact
 * start, so the chunk begins on the planned frame.
 */
function seekInput(input: string, segment: SegmentSpec): string[] {
  return ['-ss', formatSeconds(segment.startSec), '-i', input];
}

/**
 * One output's stream: exactly the chunk's frames of the mapped video, so chunks tile the
 * timeline with no overlap or gap. No audio, subtitle or data tracks and no source metadata
 * (titles, dates) reach the output.
 */
function chunkStreams(map: string, segment: SegmentSpec): string[] {
  return ['-map', map, ...CHUNK_STREAMS, '-frames:v', String(segment.frameCount)];
}

/**
 * Timestamps continue from the chunk's position in the whole video, so tfdt (base decode time)
 * is start*timescale and packaged chunks concatenate into one timeline. Fragmented MP4: moov
 * with no samples, one fragment per keyframe (one per chunk), moof-relative data offsets;
 * frag_discont makes the first fragment's tfdt carry the offset start time instead of 0;
 * negative_cts_offsets keeps the muxer from writing an edit list (which would shift the
 * chunk's presentation time).
 */
function chunkOutput(segment: SegmentSpec, output: string): string[] {
  return [
    '-output_ts_offset',
    formatSeconds(segment.startSec),
    '-movflags',
    '+frag_keyframe+empty_moov+default_base_moof+frag_discont+negative_cts_offsets',
    '-f',
    'mp4',
    output,
  ];
}

export interface SegmentCopyInput {
  readonly input: string;
  readonly output: string;
  /** A GOP-aligned segment: it starts on a source keyframe. */
  readonly segment: SegmentSpec;
}

/**
 * One segment of a conforming source, stream-copied: the source's own H.264 packets from the
 * keyframe at the segment start, the planned number of frames, on the same timeline and in the
 * same fragmented MP4 shape as an encoded chunk, so packaging and joins are unchanged.
 * Cheaper than any encode and bit-exact by construction.
 */
export function buildSegmentCopyArgs(p: SegmentCopyInput): string[] {
  assertArg(p.input, 'input');
  assertArg(p.output, 'output');
  assertPositiveInt(p.segment.frameCount, 'segment.frameCount');
  if (!p.segment.gopAligned) throw new RangeError(`segment ${p.segment.index} does not start on a keyframe: it cannot be stream-copied`);
  return [...COMMON_PREFIX, ...seekInput(p.input, p.segment), ...chunkStreams('0:v:0', p.segment), '-c:v', 'copy', ...BITEXACT, ...chunkOutput(p.segment, p.output)];
}

export interface AudioEncodeInput {
  readonly input: string;
  readonly output: string;
}

/**
 * Whole-file audio to AAC-LC 128 kb/s, 48 kHz stereo (the one audio rendition). Audio is
 * cheap, so it is not chunked: one encode avoids AAC priming gaps at chunk joins.
 */
export function buildAudioEncodeArgs(p: AudioEncodeInput): string[] {
  assertArg(p.input, 'input');
  assertArg(p.output, 'output');
  return [
    ...COMMON_PREFIX,
    '-i',
    p.input,
    '-map',
    '0:a:0',
    '-vn',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-ar',
    '48000',
    '-ac',
    '2',
    ...BITEXACT,
    '-movflags',
    '+frag_keyframe+empty_moov+default_base_moof',
    '-f',
    'mp4',
    p.output,
  ];
}

/** ffprobe: container and stream description as JSON (headers only, fast). */
export function buildProbeArgs(input: string): string[] {
  assertArg(input, 'input');
  return ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', input];
}

/**
 * ffprobe: pts and flags of every packet of the first video stream, read from the
 * container without decoding (cheap even for long files); keyframes carry flag K.
 * `stream` 'a:0' gives the same scan for audio-only files, used for its errors only.
 */
export function buildKeyframeArgs(input: string, stream: 'v:0' | 'a:0' = 'v:0'): string[] {
  assertArg(input, 'input');
  return ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time,size,pos,flags', '-of', 'compact=p=0', input];
}

/** ffprobe: decode the first video stream and count frames (verification; slow on long files). */
export function buildCountFramesArgs(input: string): string[] {
  assertArg(input, 'input');
  return ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', input];
}

/** A path starting with '-' would be read by ffmpeg as an option. */
function assertArg(value: string, name: string): void {
  if (value.length === 0) throw new RangeError(`${name} must not be empty`);
  if (value.startsWith('-')) throw new RangeError(`${name} must not start with "-"`);
}

function assertPositiveInt(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

function assertEvenSize(r: RenditionSpec): void {
  assertPositiveInt(r.width, 'rendition.width');
  assertPositiveInt(r.height, 'rendition.height');
  // 4:2:0 chroma needs even dimensions; odd ones make ffmpeg fail mid-job.
  if (r.width % 2 !== 0 || r.height % 2 !== 0) throw new RangeError(`rendition ${r.width}x${r.height} must have even dimensions`);
}

import type { OutputFact, StreamInfo } from '@airlock/contracts';

/** Everything the manifest writers need: verified streams and the facts of every object they produced. */
export interface ManifestInput {
  mediaId: string;
  version: string;
  streams: StreamInfo[];
  outputs: OutputFact[];
}

/** Thrown when the input cannot describe a playable presentation. `problems` lists every check that failed. */
export class ManifestInputError extends Error {
  override readonly name = 'ManifestInputError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      problems.length === 1
        ? `invalid manifest input: ${problems[0]}`
        : `invalid manifest input (${problems.length} problems):\n- ${problems.join('\n- ')}`,
    );
    this.problems = [...problems];
  }
}

/** One rendition after validation: its init, its media segments in index order, and measured bitrates. */
export interface Track {
  stream: StreamInfo;
  init: OutputFact;
  /** Media segments sorted by segmentIndex (0..n-1). */
  segments: OutputFact[];
  timescale: number;
  /** baseDecodeTime of segment 0 plus the sum of all durations, in timescale units. */
  endTime: number;
  /** Sum of all segment durations, in timescale units. */
  totalDuration: number;
  /** max over segments of bits / seconds, rounded up (bits per second). */
  peakBitrate: number;
  /** total bits / total seconds, rounded up (bits per second). */
  averageBitrate: number;
}

/** How every stream of a presentation is encrypted: one key (by id) for all renditions. */
export type StreamEncryption = NonNullable<StreamInfo['encryption']>;

/** A presentation that passed validation. Video tracks are in the order every manifest lists them. */
export interface ValidatedPresentation {
  mediaId: string;
  version: string;
  /** Sorted by peak bitrate ascending, then average bitrate, then rendition name. */
  video: Track[];
  audio: Track | undefined;
  /** Shared by every stream (validation refuses a mix), or undefined when the streams are clear. */
  encryption: StreamEncryption | undefined;
}

/** Samples per AAC frame: the most an audio segment boundary may drift. */
const AUDIO_FRAME_SAMPLES = 1024;
/** Rendition names become file names next to master.m3u8 and manifest.mpd, so keep them plain. */
const RENDITION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const RESERVED_NAMES = new Set(['master', 'manifest']);
/** A 128-bit key id as the contracts carry it. */
const KEY_ID = /^[0-9a-f]{32}$/;

/** Compares renditions by name without depending on the runtime locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function bitsPerSecond(
  sizeBytes: number,
  duration: number,
  timescale: number,
): number {
  return Math.ceil((sizeBytes * 8 * timescale) / duration);
}

/** Largest allowed difference, in timescale units, between a segment's start and the previous segment's end. */
function continuityTolerance(stream: StreamInfo, timescale: number): number {
  if (stream.type === 'video') return 1;
  const sampleRate =
    stream.sampleRate && stream.sampleRate > 0 ? stream.sampleRate : timescale;
  return Math.ceil((AUDIO_FRAME_SAMPLES * timescale) / sampleRate);
}

function checkStream(stream: StreamInfo, problems: string[]): void {
  const name = stream.rendition;
  if (!RENDITION_NAME.test(name) || RESERVED_NAMES.has(name)) {
    problems.push(
      `rendition name "${name}" is not usable as a playlist file name (letters, digits, "_", "-", "." only; not "master" or "manifest")`,
    );
  }
  if (!stream.codecs.trim())
    problems.push(`rendition "${name}": codecs is empty`);
  if (/["\r\n]/.test(stream.codecs))
    problems.push(`rendition "${name}": codecs contains a quote or line break`);
  if (stream.type === 'video') {
    if (
      !stream.width ||
      stream.width <= 0 ||
      !stream.height ||
      stream.height <= 0
    ) {
      problems.push(`video rendition "${name}": width and height are required`);
    }
    if (stream.fps && (stream.fps.num <= 0 || stream.fps.den <= 0)) {
      problems.push(
        `video rendition "${name}": fps ${stream.fps.num}/${stream.fps.den} is not positive`,
      );
    }
  }
}

function describeEncryption(encryption: StreamEncryption | undefined): string {
  return encryption
    ? `${encryption.scheme} with key id ${encryption.keyId}`
    : 'clear';
}

/**
 * Every stream must be clear, or every stream encrypted the same way: the manifests name one key
 * (by id) for the whole presentation, and a player cannot switch between clear and encrypted
 * renditions. Segments are encrypted whole (aes-128, HLS METHOD=AES-128); a chat file's
 * blob-aes256gcm is not a stream the manifests can describe. Returns the shared encryption when
 * the streams agree.
 */
function checkEncryption(
  streams: StreamInfo[],
  problems: string[],
): StreamEncryption | undefined {
  for (const { rendition, encryption } of streams) {
    if (!encryption) continue;
    // Input may not have passed the contracts' schema: check what the writers print.
    if ((encryption.scheme as string) !== 'aes-128')
      problems.push(
        `rendition "${rendition}": encryption scheme "${encryption.scheme}" is not supported (only aes-128)`,
      );
    if (!KEY_ID.test(encryption.keyId))
      problems.push(
        `rendition "${rendition}": key id "${encryption.keyId}" is not 32 lowercase hex digits`,
      );
  }
  const sorted = [...streams].sort((a, b) =>
    compareNames(a.rendition, b.rendition),
  );
  const first = sorted[0] as StreamInfo | undefined;
  const reference = first?.encryption;
  const differing = sorted.filter(
    (s) =>
      s.encryption?.scheme !== reference?.scheme ||
      s.encryption?.keyId !== reference?.keyId,
  );
  if (first && differing.length > 0) {
    problems.push(
      `streams must all be clear or all be encrypted with one key: "${first.rendition}" is ` +
        `${describeEncryption(reference)} but ` +
        differing
          .map((s) => `"${s.rendition}" is ${describeEncryption(s.encryption)}`)
          .join(', '),
    );
  }
  return reference;
}

function checkKey(fact: OutputFact, problems: string[]): void {
  if (!fact.key || /[\s"<>\\]/.test(fact.key) || fact.key.startsWith('/')) {
    problems.push(
      `rendition "${fact.rendition}" ${fact.kind} ${fact.segmentIndex}: key "${fact.key}" is not a plain bucket key`,
    );
  }
}

function buildTrack(
  stream: StreamInfo,
  facts: OutputFact[],
  problems: string[],
): Track | undefined {
  const name = stream.rendition;
  const before = problems.length;
  const inits = facts.filter((f) => f.kind === 'init');
  if (inits.length !== 1) {
    problems.push(
      `rendition "${name}": expected exactly one init segment, found ${inits.length}`,
    );
  }
  for (const init of inits) {
    if (init.segmentIndex !== -1) {
      problems.push(
        `rendition "${name}": init segment has segmentIndex ${init.segmentIndex}, expected -1`,
      );
    }
  }

  const segments = facts
    .filter((f) => f.kind === 'media')
    .sort(
      (a, b) =>
        a.segmentIndex - b.segmentIndex || a.baseDecodeTime - b.baseDecodeTime,
    );
  if (segments.length === 0) {
    problems.push(`rendition "${name}": has no media segments`);
  }
  if (segments.some((seg, i) => seg.segmentIndex !== i)) {
    problems.push(
      `rendition "${name}": segment indices must be contiguous from 0, found ${segments.map((s) => s.segmentIndex).join(',')}`,
    );
  }

  const timescale = segments[0]?.timescale ?? inits[0]?.timescale ?? 0;
  for (const fact of [...inits, ...segments]) {
    if (fact.timescale !== timescale) {
      problems.push(
        `rendition "${name}": ${fact.kind} ${fact.segmentIndex} has timescale ${fact.timescale}, expected ${timescale}`,
      );
    }
  }
  for (const seg of segments) {
    if (seg.duration <= 0)
      problems.push(
        `rendition "${name}": segment ${seg.segmentIndex} has zero duration`,
      );
  }

  const tolerance = continuityTolerance(stream, timescale);
  for (let i = 1; i < segments.length; i++) {
    const prev = segments[i - 1];
    const seg = segments[i];
    const expected = prev.baseDecodeTime + prev.duration;
    const delta = seg.baseDecodeTime - expected;
    if (Math.abs(delta) > tolerance) {
      problems.push(
        `rendition "${name}": segment ${seg.segmentIndex} starts at ${seg.baseDecodeTime} but segment ` +
          `${prev.segmentIndex} ends at ${expected} (${delta > 0 ? 'gap' : 'overlap'} of ${Math.abs(delta)} ticks at ` +
          `timescale ${timescale}, tolerance ${tolerance})`,
      );
    }
  }
  for (const fact of [...inits, ...segments]) checkKey(fact, problems);

  if (problems.length > before) return undefined;
  const init = inits[0];
  const last = segments[segments.length - 1];
  const totalDuration = segments.reduce((sum, s) => sum + s.duration, 0);
  const totalBytes = segments.reduce((sum, s) => sum + s.sizeBytes, 0);
  return {
    stream,
    init,
    segments,
    timescale,
    endTime: last.baseDecodeTime + last.duration,
    totalDuration,
    peakBitrate: segments.reduce(
      (peak, s) =>
        Math.max(peak, bitsPerSecond(s.sizeBytes, s.duration, timescale)),
      0,
    ),
    averageBitrate: bitsPerSecond(totalBytes, totalDuration, timescale),
  };
}

/** Video renditions must switch cleanly: same number of segments, each starting at the same instant. */
function checkVideoAlignment(video: Track[], problems: string[]): void {
  if (video.length < 2) return;
  const [ref, ...others] = video;
  for (const other of others) {
    if (other.segments.length !== ref.segments.length) {
      problems.push(
        `video renditions "${ref.stream.rendition}" and "${other.stream.rendition}" have different segment counts ` +
          `(${ref.segments.length} vs ${other.segments.length})`,
      );
      continue;
    }
    // |a/tsA - b/tsB| <= one tick of the coarser timescale, compared in integers.
    const tolerance = Math.max(ref.timescale, other.timescale);
    for (let i = 0; i < ref.segments.length; i++) {
      const a = ref.segments[i].baseDecodeTime;
      const b = other.segments[i].baseDecodeTime;
      if (Math.abs(a * other.timescale - b * ref.timescale) > tolerance) {
        problems.push(
          `video renditions "${ref.stream.rendition}" and "${other.stream.rendition}" are not aligned: segment ${i} ` +
            `starts at ${(a / ref.timescale).toFixed(6)}s vs ${(b / other.timescale).toFixed(6)}s`,
        );
        break;
      }
    }
  }
}

/**
 * Checks everything the writers rely on and groups the facts per rendition.
 * Collects all problems before throwing, so one run reports everything wrong with an input.
 */
export function validateManifestInput(
  input: ManifestInput,
): ValidatedPresentation {
  const problems: string[] = [];
  if (!input.mediaId || input.mediaId.includes('/'))
    problems.push(`mediaId "${input.mediaId}" is empty or contains "/"`);
  if (!input.version || input.version.includes('/'))
    problems.push(`version "${input.version}" is empty or contains "/"`);
  if (input.streams.length === 0) problems.push('no streams');

  const byName = new Map<string, StreamInfo>();
  for (const stream of input.streams) {
    if (byName.has(stream.rendition))
      problems.push(
        `rendition "${stream.rendition}" is listed twice in streams`,
      );
    byName.set(stream.rendition, stream);
    checkStream(stream, problems);
  }
  const audioStreams = input.streams.filter((s) => s.type === 'audio');
  if (audioStreams.length > 1) {
    problems.push(
      `at most one audio rendition is supported, found ${audioStreams.map((s) => `"${s.rendition}"`).join(', ')}`,
    );
  }

  const factsByName = new Map<string, OutputFact[]>();
  for (const fact of input.outputs) {
    const list = factsByName.get(fact.rendition) ?? [];
    list.push(fact);
    factsByName.set(fact.rendition, list);
  }
  for (const [name, facts] of [...factsByName].sort(([a], [b]) =>
    compareNames(a, b),
  )) {
    if (!byName.has(name))
      problems.push(
        `${facts.length} output(s) belong to rendition "${name}", which has no stream`,
      );
  }

  const tracks: Track[] = [];
  for (const stream of [...byName.values()].sort((a, b) =>
    compareNames(a.rendition, b.rendition),
  )) {
    const track = buildTrack(
      stream,
      factsByName.get(stream.rendition) ?? [],
      problems,
    );
    if (track) tracks.push(track);
  }
  const video = tracks
    .filter((t) => t.stream.type === 'video')
    .sort(
      (a, b) =>
        a.peakBitrate - b.peakBitrate ||
        a.averageBitrate - b.averageBitrate ||
        compareNames(a.stream.rendition, b.stream.rendition),
    );
  checkVideoAlignment(video, problems);
  const encryption = checkEncryption([...byName.values()], problems);

  if (problems.length > 0) throw new ManifestInputError(problems);
  return {
    mediaId: input.mediaId,
    version: input.version,
    video,
    audio: tracks.find((t) => t.stream.type === 'audio'),
    encryption: encryption && { ...encryption },
  };
}

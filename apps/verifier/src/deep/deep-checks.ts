import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputFact, StreamInfo } from '@airlock/contracts';
import { probeFile, runProcess } from '@airlock/media';
import { ObjectStore } from '@airlock/storage';
import { CheckFailure } from '../checks/check-failure';
import { openPublished } from './open-segment';

/** Audio is encoded once for the whole file, aligned to the video timeline: the ends may differ by about a frame. */
const AV_GAP_TOLERANCE_SEC = 0.1;
const DECODE_TIMEOUT_MS = 120_000;

export interface DeepCheckInput {
  readonly store: ObjectStore;
  readonly streams: readonly StreamInfo[];
  readonly outputs: readonly OutputFact[];
  readonly key: Uint8Array;
  readonly keyIdHex: string;
  readonly ownerOf: (key: string) => string | undefined;
  /** Where the private directory is made (the OS temp dir by default). */
  readonly tempRoot?: string;
}

/**
 * Deep checks, when the tenant's policy lets the verifier decrypt: every init and segment of
 * every streamed rendition is decrypted as a player does, its clear boxes read against the
 * report (whole, a clear track, timing and samples), then written next to its init into a
 * private directory, probed and decoded whole (codec, dimensions, upright, frame rate, frame
 * count, duration), one at a time; the directory is wiped at the end whatever happens. Chat
 * files (sealed blobs) are not decoded here.
 */
export async function deepCheck(input: DeepCheckInput): Promise<CheckFailure[]> {
  const dir = await mkdtemp(join(input.tempRoot ?? tmpdir(), 'airlock-verify-'));
  await chmod(dir, 0o700);
  const failures: CheckFailure[] = [];
  /** Decoded seconds per rendition. */
  const totals = new Map<StreamInfo, number>();
  try {
    for (const stream of input.streams.filter((s) => s.type !== 'file')) {
      const init = input.outputs.find((o) => o.rendition === stream.rendition && o.kind === 'init');
      if (!init) continue;
      const fail = (o: OutputFact, [reason, detail]: [string, string]) =>
        failures.push({ reason, detail: `${stream.rendition} ${o.kind === 'init' ? 'init' : `segment ${o.segmentIndex}`}: ${detail}`, key: o.key, ...attempt(input.ownerOf(o.key)) });
      const clearInit = await openPublished(input.store, init, input.key, input.keyIdHex);
      if ('failure' in clearInit) fail(init, clearInit.failure);
      const segments = input.outputs.filter((o) => o.rendition === stream.rendition && o.kind === 'media').sort((a, b) => a.segmentIndex - b.segmentIndex);
      try {
        for (const seg of segments) {
          const clear = await openPublished(input.store, seg, input.key, input.keyIdHex);
          if ('failure' in clear) {
            fail(seg, clear.failure);
            continue;
          }
          try {
            // Without a clear init, a segment's own boxes are all there is to read: each may have its own culprit.
            if ('clear' in clearInit) {
              const decoded = await decodeSegment(dir, clearInit.clear, clear.clear, stream, seg);
              if ('failure' in decoded) fail(seg, decoded.failure);
              else totals.set(stream, (totals.get(stream) ?? 0) + decoded.seconds);
            }
          } finally {
            clear.clear.fill(0);
          }
        }
      } finally {
        if ('clear' in clearInit) clearInit.clear.fill(0);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const audio = [...totals].find(([s]) => s.type === 'audio')?.[1];
  for (const [stream, seconds] of totals) {
    if (stream.type !== 'video' || audio === undefined || Math.abs(seconds - audio) <= AV_GAP_TOLERANCE_SEC) continue;
    failures.push({ reason: 'av_gap', detail: `${stream.rendition} decodes to ${seconds.toFixed(3)} s, the audio to ${audio.toFixed(3)} s` });
  }
  return failures;
}

const attempt = (attemptId: string | undefined) => (attemptId ? { attemptId } : {});

type Decoded = { seconds: number } | { failure: [reason: string, detail: string] };

/** One clear segment next to its clear init in a 0600 file that is gone when this returns. */
async function decodeSegment(dir: string, init: Buffer, segment: Buffer, stream: StreamInfo, seg: OutputFact): Promise<Decoded> {
  const file = join(dir, `${stream.rendition}-${seg.segmentIndex}.mp4`);
  try {
    const whole = Buffer.concat([init, segment]);
    try {
      await writeFile(file, whole, { mode: 0o600 });
    } finally {
      whole.fill(0);
    }
    return stream.type === 'video' ? await checkVideo(file, stream, seg) : await checkAudio(file, seg);
  } finally {
    await rm(file, { force: true });
  }
}

async function checkVideo(file: string, stream: StreamInfo, seg: OutputFact): Promise<Decoded> {
  const probed = await probeFile(file, { timeoutMs: DECODE_TIMEOUT_MS });
  if (!probed.ok || !probed.probe.video) return { failure: ['decode_failed', probed.ok ? 'no video stream' : probed.code] };
  const v = probed.probe.video;
  const codec = stream.codecs.startsWith('avc1') ? 'h264' : stream.codecs.startsWith('hvc1') || stream.codecs.startsWith('hev1') ? 'hevc' : stream.codecs;
  if (v.codec !== codec) return { failure: ['codec_mismatch', `decodes as ${v.codec}, reported ${stream.codecs}`] };
  if (v.width !== stream.width || v.height !== stream.height) return { failure: ['dimensions_mismatch', `${v.width}x${v.height}, reported ${stream.width}x${stream.height}`] };
  if (v.rotation !== 0) return { failure: ['rotation_present', `a ${v.rotation} degree display matrix is left`] };
  if (stream.fps && Math.abs(v.fps.num / v.fps.den - stream.fps.num / stream.fps.den) > 0.01) return { failure: ['fps_mismatch', `${v.fps.num}/${v.fps.den} fps, reported ${stream.fps.num}/${stream.fps.den}`] };
  const decoded = await decodeFrames(file, 'v');
  if ('failure' in decoded) return decoded;
  if (decoded.frames !== seg.sampleCount) return { failure: ['decode_failed', `${decoded.frames} frames decode, ${seg.sampleCount} reported`] };
  return { seconds: (decoded.frames * v.fps.den) / v.fps.num };
}

async function checkAudio(file: string, seg: OutputFact): Promise<Decoded> {
  const decoded = await decodeFrames(file, 'a');
  return 'failure' in decoded ? decoded : { seconds: seg.duration / seg.timescale };
}

/**
 * Decode every frame of the first stream of a kind (framemd5: one line per decoded frame). A
 * clean encode decodes without a word on stderr; concealed errors (a segment decrypted with
 * the wrong key, damaged bitstream) do not.
 */
async function decodeFrames(file: string, kind: 'v' | 'a'): Promise<{ frames: number } | { failure: [string, string] }> {
  try {
    const { stdout, stderr } = await runProcess('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-map', `0:${kind}:0`, '-f', 'framemd5', '-'], { timeoutMs: DECODE_TIMEOUT_MS, maxStdoutBytes: 16 << 20 });
    if (stderr.trim()) return { failure: ['decode_failed', stderr.trim().split('\n')[0].slice(0, 200)] };
    return { frames: stdout.split('\n').filter((l) => l.trim() && !l.startsWith('#')).length };
  } catch (e) {
    return { failure: ['decode_failed', (e as Error).message.slice(0, 200)] };
  }
}

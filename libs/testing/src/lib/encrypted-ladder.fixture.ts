import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type {
  OutputFact,
  RenditionSpec,
  SegmentSpec,
  StreamInfo,
} from '@airlock/contracts';
import { encryptSegment, segmentIv } from '@airlock/crypto';
import { storageKeys } from '@airlock/domain';
import {
  buildAudioEncodeArgs,
  buildSegmentEncodeArgs,
  packageAudio,
  packageVideoChunk,
  readInitFacts,
  readSegmentFacts,
  runProcess,
} from '@airlock/media';
import { makeClip } from './media-fixtures';

/** One video rung of the fixture ladder. */
export interface LadderRung {
  name: string;
  width: number;
  height: number;
  bitrateKbps: number;
}

/** Three small rungs: enough to pin each in turn, cheap enough to play each through. */
export const FIXTURE_RUNGS: readonly LadderRung[] = [
  { name: '180p', width: 320, height: 180, bitrateKbps: 250 },
  { name: '270p', width: 480, height: 270, bitrateKbps: 450 },
  { name: '360p', width: 640, height: 360, bitrateKbps: 700 },
];

export interface EncryptedLadderOptions {
  /** Scratch directory for the source and the clear encodes. */
  workDir: string;
  /** Where the encrypted objects are written, each at its bucket key (storageKeys). */
  bucketDir: string;
  mediaId: string;
  /** The media's output key id (32 hex digits) and its 16-byte key. */
  keyIdHex: string;
  key: Uint8Array;
  /** Whole seconds, a multiple of 2 (2 s segments). Default 6. */
  seconds?: number;
  rungs?: readonly LadderRung[];
  /** An audio rendition named "audio" (default true). */
  audio?: boolean;
}

export interface EncryptedLadder {
  /** Every stream, encryption { scheme: 'aes-128', keyId }: what a verifier hands the manifester. */
  streams: StreamInfo[];
  /** Facts of every stored object: timing from the clear boxes, sha256 and size of the stored (encrypted) bytes. */
  outputs: OutputFact[];
  /** Media segments per rendition (video rungs and audio). */
  segmentCounts: Record<string, number>;
}

const SEGMENT_SEC = 2;
const FPS = { num: 30, den: 1 } as const;

const sha256 = (bytes: Uint8Array) =>
  createHash('sha256').update(bytes).digest('hex');

/** Runs tasks two at a time (the machine has two cores). */
async function inPairs<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all([lane(), lane()]);
  return results;
}

/**
 * A small published ladder made the way the pipeline makes it: a synthetic source encoded chunk by
 * chunk with the worker's own ffmpeg arguments (buildSegmentEncodeArgs, buildAudioEncodeArgs),
 * packaged clear with the worker's packager functions, then every init and media segment encrypted
 * whole with AES-128-CBC under segmentIv(keyId, rendition, index) and stored at its content-addressed
 * key. The manifests are left to the caller (the manifester's writers), which get streams and outputs.
 */
export async function makeEncryptedLadder(
  options: EncryptedLadderOptions,
): Promise<EncryptedLadder> {
  const seconds = options.seconds ?? 6;
  if (seconds <= 0 || seconds % SEGMENT_SEC !== 0)
    throw new RangeError(
      `seconds must be a positive multiple of ${SEGMENT_SEC}`,
    );
  const rungs = options.rungs ?? FIXTURE_RUNGS;
  const withAudio = options.audio ?? true;
  const { workDir, bucketDir, mediaId, keyIdHex, key } = options;
  const encryption = { scheme: 'aes-128' as const, keyId: keyIdHex };
  const largest = rungs.reduce((a, b) => (b.height > a.height ? b : a));
  const source = await makeClip(workDir, `ladder-source-${mediaId}.mp4`, {
    width: largest.width,
    height: largest.height,
    seconds,
    audio: withAudio,
  });

  const store = async (
    rendition: string,
    index: number,
    clear: Buffer,
  ): Promise<{ key: string; sha256: string; sizeBytes: number }> => {
    const stored = await encryptSegment(
      clear,
      key,
      await segmentIv(keyIdHex, rendition, index),
    );
    const sha = sha256(stored);
    const objectKey =
      index < 0
        ? storageKeys.initSegment(mediaId, rendition, sha)
        : storageKeys.mediaSegment(mediaId, rendition, index, sha);
    await mkdir(dirname(join(bucketDir, objectKey)), { recursive: true });
    await writeFile(join(bucketDir, objectKey), stored);
    return { key: objectKey, sha256: sha, sizeBytes: stored.length };
  };

  /** Facts of one rendition's init and media segments (clear bytes), stored encrypted. */
  const ingest = async (
    rendition: string,
    init: Buffer,
    segments: Buffer[],
  ): Promise<OutputFact[]> => {
    const { timescale } = readInitFacts(init);
    const facts: OutputFact[] = [
      {
        kind: 'init',
        rendition,
        segmentIndex: -1,
        ...(await store(rendition, -1, init)),
        timescale,
        baseDecodeTime: 0,
        duration: 0,
        sampleCount: 0,
      },
    ];
    for (const [index, clear] of segments.entries()) {
      facts.push({
        kind: 'media',
        rendition,
        segmentIndex: index,
        ...(await store(rendition, index, clear)),
        timescale,
        ...readSegmentFacts(clear),
      });
    }
    return facts;
  };

  const chunks: SegmentSpec[] = Array.from(
    { length: seconds / SEGMENT_SEC },
    (_, index) => ({
      index,
      startFrame: index * SEGMENT_SEC * FPS.num,
      frameCount: SEGMENT_SEC * FPS.num,
      startSec: index * SEGMENT_SEC,
      durationSec: SEGMENT_SEC,
      gopAligned: true,
    }),
  );
  const rungDir = (name: string) => join(workDir, `ladder-${mediaId}-${name}`);
  await Promise.all(
    rungs.map((r) => mkdir(rungDir(r.name), { recursive: true })),
  );
  const packaged = await inPairs(
    rungs.flatMap((rung) =>
      chunks.map((segment) => async () => {
        const rendition: RenditionSpec = {
          name: rung.name,
          codec: 'h264',
          width: rung.width,
          height: rung.height,
          bitrateKbps: rung.bitrateKbps,
          hdr: false,
        };
        const dir = rungDir(rung.name);
        const encoded = join(dir, `chunk-${segment.index}.mp4`);
        await runProcess(
          'ffmpeg',
          buildSegmentEncodeArgs({
            input: source,
            output: encoded,
            segment,
            fps: FPS,
            rendition,
            accel: 'cpu',
          }),
          { cwd: dir, timeoutMs: 120_000 },
        );
        return packageVideoChunk({
          input: encoded,
          initOut: join(dir, `init-${segment.index}.mp4`),
          segmentOut: join(dir, `seg-${segment.index}.m4s`),
        });
      }),
    ),
  );

  const streams: StreamInfo[] = [];
  const outputs: OutputFact[] = [];
  const segmentCounts: Record<string, number> = {};
  for (const [n, rung] of rungs.entries()) {
    const mine = packaged.slice(n * chunks.length, (n + 1) * chunks.length);
    const init = await readFile(mine[0].init);
    streams.push({
      rendition: rung.name,
      type: 'video',
      codecs: readInitFacts(init).codecs,
      width: rung.width,
      height: rung.height,
      fps: { ...FPS },
      bitrateKbps: rung.bitrateKbps,
      encryption,
    });
    outputs.push(
      ...(await ingest(
        rung.name,
        init,
        await Promise.all(mine.map((p) => readFile(p.segment))),
      )),
    );
    segmentCounts[rung.name] = chunks.length;
  }

  if (withAudio) {
    const encoded = join(workDir, `ladder-${mediaId}-audio.mp4`);
    await runProcess(
      'ffmpeg',
      buildAudioEncodeArgs({ input: source, output: encoded }),
      { timeoutMs: 120_000 },
    );
    const audio = await packageAudio({
      input: encoded,
      outDir: join(workDir, `ladder-${mediaId}-audio`),
      segmentSec: SEGMENT_SEC,
    });
    const init = await readFile(audio.init);
    const facts = readInitFacts(init);
    streams.push({
      rendition: 'audio',
      type: 'audio',
      codecs: facts.codecs,
      bitrateKbps: 128,
      ...(facts.sampleRate ? { sampleRate: facts.sampleRate } : {}),
      ...(facts.channels ? { channels: facts.channels } : {}),
      encryption,
    });
    outputs.push(
      ...(await ingest(
        'audio',
        init,
        await Promise.all(audio.segments.map((p) => readFile(p))),
      )),
    );
    segmentCounts['audio'] = audio.segments.length;
  }
  return { streams, outputs, segmentCounts };
}

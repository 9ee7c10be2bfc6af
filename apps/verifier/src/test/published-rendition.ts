import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputFact } from '@airlock/contracts';
import { encryptSegment, segmentIv } from '@airlock/crypto';
import { outputObjectKey } from '@airlock/domain';
import { listBoxes, Mp4Box, packageVideoChunk, readInitFacts, readSegmentFacts, SegmentFacts } from '@airlock/media';
import { makeClip } from '@airlock/testing';

/** One rendition as a worker publishes it: the clear objects, and each encrypted whole under the media's key. */
export interface PublishedRendition {
  readonly rendition: string;
  readonly clear: { readonly init: Buffer; readonly segment: Buffer };
  /** Ciphertext, as stored. */
  readonly init: Buffer;
  readonly segment: Buffer;
  readonly timescale: number;
  readonly codecs: string;
  /** What the clear segment's own boxes say (tfdt, duration, samples). */
  readonly segmentFacts: SegmentFacts;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `clear` encrypted whole (AES-128-CBC) with the IV of its place (`index` -1 is the init), as the worker does. */
export async function encryptAt(clear: Uint8Array, key: Uint8Array, keyIdHex: string, rendition: string, index: number): Promise<Buffer> {
  return Buffer.from(await encryptSegment(clear, key, await segmentIv(keyIdHex, rendition, index)));
}

/** A video clip packaged clear into an init and one segment (index 0), both encrypted whole. */
export async function publishRendition(dir: string, o: { rendition: string; width: number; height: number; seconds: number; key: Uint8Array; keyIdHex: string }): Promise<PublishedRendition> {
  const clip = await makeClip(dir, `${o.rendition}-clip.mp4`, { width: o.width, height: o.height, seconds: o.seconds, audio: false });
  const initOut = join(dir, `${o.rendition}-init.mp4`);
  const segmentOut = join(dir, `${o.rendition}-seg.m4s`);
  await packageVideoChunk({ input: clip, initOut, segmentOut });
  const clear = { init: await readFile(initOut), segment: await readFile(segmentOut) };
  const facts = readInitFacts(clear.init);
  return {
    rendition: o.rendition,
    clear,
    init: await encryptAt(clear.init, o.key, o.keyIdHex, o.rendition, -1),
    segment: await encryptAt(clear.segment, o.key, o.keyIdHex, o.rendition, 0),
    timescale: facts.timescale,
    codecs: facts.codecs,
    segmentFacts: readSegmentFacts(clear.segment),
  };
}

/**
 * The honest report of `stored` (the bytes put in storage) as the rendition's init or segment 0:
 * its content-hash key, size and hash, and the clear segment's timing.
 */
export function factOf(mediaId: string, published: PublishedRendition, kind: 'init' | 'media', stored: Buffer): OutputFact {
  const segmentIndex = kind === 'init' ? -1 : 0;
  const hash = sha256(stored);
  const timing = kind === 'media' ? published.segmentFacts : { baseDecodeTime: 0, duration: 0, sampleCount: 0 };
  return { kind, rendition: published.rendition, segmentIndex, key: outputObjectKey(mediaId, { kind, rendition: published.rendition, segmentIndex, sha256: hash }), sha256: hash, sizeBytes: stored.length, timescale: published.timescale, ...timing };
}

/**
 * A clear init made to describe a protected track, the shape cbcs packaging gave: its sample
 * entry renamed `encv`/`enca` with a `sinf` naming the original format appended, and every
 * enclosing box grown to match. Only the boxes change; no sample is encrypted.
 */
export function withProtectedSampleEntry(init: Buffer): Buffer {
  const path: Mp4Box[] = [];
  let scope = { start: 0, end: init.length };
  for (const type of ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd']) {
    const found = listBoxes(init, scope.start, scope.end).find((b) => b.type === type);
    if (!found) throw new Error(`no '${type}' on the way to the sample entry`);
    path.push(found);
    scope = { start: found.body, end: found.end };
  }
  // stsd: version and flags (4), entry count (4), then the entries; the first describes the track.
  const entry = listBoxes(init, scope.start + 8, scope.end)[0];
  const format = init.toString('latin1', entry.start + 4, entry.start + 8);
  const frma = Buffer.concat([u32(12), Buffer.from('frma', 'latin1'), Buffer.from(format, 'latin1')]);
  const sinf = Buffer.concat([u32(8 + frma.length), Buffer.from('sinf', 'latin1'), frma]);
  const out = Buffer.concat([init.subarray(0, entry.end), sinf, init.subarray(entry.end)]);
  for (const box of [...path, entry]) out.writeUInt32BE(out.readUInt32BE(box.start) + sinf.length, box.start);
  out.write(format === 'mp4a' ? 'enca' : 'encv', entry.start + 4, 'latin1');
  return out;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

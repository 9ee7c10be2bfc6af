import { OutputFact } from '@airlock/contracts';
import { decryptSegment, SegmentDecryptError, segmentIv } from '@airlock/crypto';
import { segmentPlaceOf } from '@airlock/domain';
import { listBoxes, readInitFacts, readSegmentFacts } from '@airlock/media';
import { ObjectStore } from '@airlock/storage';

/** The clear bytes of a published object (the caller zeroes them), or why it cannot be opened. */
export type Opened = { clear: Buffer } | { failure: [reason: string, detail: string] };

const failure = (reason: string, detail: string): Opened => ({ failure: [reason, detail] });

/**
 * One published init or media segment, decrypted as a player does (AES-128-CBC with the IV of
 * the place its key names), then read through its own boxes: the top-level boxes tile it
 * exactly; an init describes a clear track (the object is encrypted, the samples in it are not)
 * in the reported timescale; a segment starts, lasts and counts samples as reported.
 */
export async function openPublished(store: ObjectStore, o: OutputFact, key: Uint8Array, keyIdHex: string): Promise<Opened> {
  const place = segmentPlaceOf(o.key);
  if (!place) return failure('key_place_mismatch', 'the key names no segment place to derive its IV from');
  let clear: Buffer;
  try {
    const plain = await decryptSegment(await store.getBuffer(o.key), key, await segmentIv(keyIdHex, place.rendition, place.index));
    clear = Buffer.from(plain.buffer, plain.byteOffset, plain.length);
  } catch (e) {
    if (e instanceof SegmentDecryptError) return failure('segment_undecryptable', `does not decrypt under the media's key: ${e.message}`);
    throw e;
  }
  const problem = o.kind === 'init' ? initProblem(clear, o) : mediaProblem(clear, o);
  if (!problem) return { clear };
  clear.fill(0);
  return { failure: problem };
}

type Problem = [reason: string, detail: string] | undefined;

/** Facts read from boxes that tile the object exactly (a truncated or padded object does not), else the reason it does not parse. */
function readWhole<T>(clear: Buffer, read: (bytes: Buffer) => T): { facts: T } | { problem: Problem } {
  try {
    listBoxes(clear);
    return { facts: read(clear) };
  } catch (e) {
    return { problem: ['segment_unparsable', (e as Error).message] };
  }
}

function initProblem(clear: Buffer, o: OutputFact): Problem {
  const read = readWhole(clear, readInitFacts);
  if ('problem' in read) return read.problem;
  const { facts } = read;
  if (facts.protectedEntry) return ['init_protected', `the track is still protected (${facts.protectedEntry}): players that decrypt the object whole cannot play it`];
  if (facts.timescale !== o.timescale) return ['segment_facts_mismatch', `reported timescale ${o.timescale}, boxes say ${facts.timescale}`];
  return undefined;
}

function mediaProblem(clear: Buffer, o: OutputFact): Problem {
  const read = readWhole(clear, readSegmentFacts);
  if ('problem' in read) return read.problem;
  const { facts } = read;
  const said = `reported tfdt ${o.baseDecodeTime} duration ${o.duration} samples ${o.sampleCount}`;
  const has = `boxes say tfdt ${facts.baseDecodeTime} duration ${facts.duration} samples ${facts.sampleCount}`;
  if (facts.baseDecodeTime !== o.baseDecodeTime || facts.duration !== o.duration || facts.sampleCount !== o.sampleCount) return ['segment_facts_mismatch', `${said}, ${has}`];
  return undefined;
}

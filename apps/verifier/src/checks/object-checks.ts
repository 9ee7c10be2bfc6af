import { createHash } from 'node:crypto';
import { OutputFact } from '@airlock/contracts';
import { listBoxes, readSegmentFacts, readTrackProtection } from '@airlock/media';
import { objectKeyProblem, ObjectStore } from '@airlock/storage';
import { CheckFailure } from './check-failure';

/** A reported object and the attempt that reported it. */
export interface OwnedOutput {
  readonly fact: OutputFact;
  readonly attemptId?: string;
}

/**
 * Every reported object must exist with exactly the reported size and sha256 (no trust in the
 * worker), and a segment's own boxes, read from the stored ciphertext (box structure is clear
 * under cbcs, no plaintext needed), must say what the report says: whole, starting and lasting
 * where reported, with as many samples; an init must be protected under the media's key id.
 */
export async function checkObjects(store: ObjectStore, outputs: readonly OwnedOutput[], keyId: string, parallel = 8): Promise<CheckFailure[]> {
  // Every segment task of a rendition reports the same init (same bytes, same key, same facts):
  // each distinct fact is read and judged once, and its verdict holds for every report of it.
  const distinct = [...new Map(outputs.map((o) => [factKey(o.fact), o.fact])).entries()];
  const verdicts = new Map<string, Found>();
  for (let i = 0; i < distinct.length; i += parallel) {
    const batch = distinct.slice(i, i + parallel);
    const found = await Promise.all(batch.map(([, fact]) => checkOne(store, fact, keyId)));
    found.forEach((failure, j) => verdicts.set(batch[j][0], failure));
  }
  const failures: CheckFailure[] = [];
  for (const { fact, attemptId } of outputs) {
    const failure = verdicts.get(factKey(fact));
    if (failure) failures.push({ reason: failure[0], detail: `${fact.key}: ${failure[1]}`, key: fact.key, ...(attemptId ? { attemptId } : {}) });
  }
  return failures;
}

/** Two reports of one object are the same claim only when every reported fact is the same. */
function factKey(fact: OutputFact): string {
  return JSON.stringify(Object.entries(fact).sort(([a], [b]) => a.localeCompare(b)));
}

/** A reason code and its detail, or undefined when the object checks out. */
type Found = [reason: string, detail: string] | undefined;

const fail = (reason: string, detail: string): Found => [reason, detail];

async function checkOne(store: ObjectStore, o: OutputFact, keyId: string): Promise<Found> {
  // A key that walks out of its prefix (`seg/<media>/../..`) names no object of this media, and the store refuses to look it up.
  const keyProblem = objectKeyProblem(o.key);
  if (keyProblem) return fail('key_invalid', keyProblem);
  if (!o.key.includes(o.sha256)) return fail('key_not_content_addressed', 'the key does not carry the reported hash');
  // Chat files can be large: their size first, then hashed as a stream.
  if (o.kind === 'file') {
    const info = await store.stat(o.key);
    if (!info) return fail('object_missing', 'not in storage');
    if (info.size !== o.sizeBytes) return fail('size_mismatch', `${info.size} bytes, reported ${o.sizeBytes}`);
    return (await store.sha256(o.key)) === o.sha256 ? undefined : fail('hash_mismatch', 'stored bytes differ from the reported hash');
  }
  // Segments are small: one read (no more than the reported size and a byte), hashed and parsed.
  const bytes = await store.getBufferUpTo(o.key, o.sizeBytes);
  if (!bytes) return fail('object_missing', 'not in storage');
  if (bytes.length !== o.sizeBytes) return fail('size_mismatch', `${bytes.length > o.sizeBytes ? `more than ${o.sizeBytes}` : bytes.length} bytes, reported ${o.sizeBytes}`);
  if (createHash('sha256').update(bytes).digest('hex') !== o.sha256) return fail('hash_mismatch', 'stored bytes differ from the reported hash');
  try {
    // Top-level boxes must tile the object exactly: a truncated or padded object does not.
    listBoxes(bytes);
  } catch (e) {
    return fail('segment_unparsable', (e as Error).message);
  }
  return o.kind === 'init' ? checkInit(bytes, keyId) : checkMedia(bytes, o);
}

function checkInit(bytes: Buffer, keyId: string): Found {
  try {
    const protection = readTrackProtection(bytes);
    if (!protection) return fail('encryption_missing', 'the track is not protected');
    if (protection.scheme !== 'cbcs') return fail('encryption_scheme', `protected as ${protection.scheme}, expected cbcs`);
    if (protection.defaultKeyId.toString('hex') !== keyId) return fail('encryption_key_mismatch', "protected under another key id than the media's");
  } catch (e) {
    return fail('segment_unparsable', (e as Error).message);
  }
  return undefined;
}

function checkMedia(bytes: Buffer, o: OutputFact): Found {
  let facts;
  try {
    facts = readSegmentFacts(bytes);
  } catch (e) {
    return fail('segment_unparsable', (e as Error).message);
  }
  const said = `reported tfdt ${o.baseDecodeTime} duration ${o.duration} samples ${o.sampleCount}`;
  const has = `boxes say tfdt ${facts.baseDecodeTime} duration ${facts.duration} samples ${facts.sampleCount}`;
  if (facts.baseDecodeTime !== o.baseDecodeTime || facts.duration !== o.duration || facts.sampleCount !== o.sampleCount) return fail('segment_facts_mismatch', `${said}, ${has}`);
  return undefined;
}

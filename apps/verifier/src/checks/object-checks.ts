import { createHash } from 'node:crypto';
import { OutputFact } from '@airlock/contracts';
import { listBoxes, readSegmentFacts, readTrackProtection } from '@airlock/media';
import { ObjectStore } from '@airlock/storage';
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
  const failures: CheckFailure[] = [];
  for (let i = 0; i < outputs.length; i += parallel) {
    const batch = outputs.slice(i, i + parallel);
    const found = await Promise.all(batch.map((o) => checkOne(store, o.fact, keyId)));
    found.forEach((failure, j) => {
      const { fact, attemptId } = batch[j];
      if (failure) failures.push({ reason: failure[0], detail: `${fact.key}: ${failure[1]}`, key: fact.key, ...(attemptId ? { attemptId } : {}) });
    });
  }
  return failures;
}

/** A reason code and its detail, or undefined when the object checks out. */
type Found = [reason: string, detail: string] | undefined;

const fail = (reason: string, detail: string): Found => [reason, detail];

async function checkOne(store: ObjectStore, o: OutputFact, keyId: string): Promise<Found> {
  if (!o.key.includes(o.sha256)) return fail('key_not_content_addressed', 'the key does not carry the reported hash');
  const info = await store.stat(o.key);
  if (!info) return fail('object_missing', 'not in storage');
  if (info.size !== o.sizeBytes) return fail('size_mismatch', `${info.size} bytes, reported ${o.sizeBytes}`);
  // Chat files can be large: hashed as a stream. Segments are small: read once, hashed and parsed.
  if (o.kind === 'file') return (await store.sha256(o.key)) === o.sha256 ? undefined : fail('hash_mismatch', 'stored bytes differ from the reported hash');
  const bytes = await store.getBuffer(o.key);
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

import { createHash } from 'node:crypto';
import { OutputFact } from '@airlock/contracts';
import { segmentPlaceOf } from '@airlock/domain';
import { objectKeyProblem, ObjectStore } from '@airlock/storage';
import { CheckFailure } from './check-failure';
import { ciphertextProblem } from './ciphertext-checks';

/** A reported object and the attempt that reported it. */
export interface OwnedOutput {
  readonly fact: OutputFact;
  readonly attemptId?: string;
}

/**
 * Every reported object must exist with exactly the reported size and sha256 (no trust in the
 * worker), and without the key: an init or media segment must sit at the place (rendition,
 * index) it is reported for, since players derive its IV from there, and its stored bytes must
 * be whole-object AES-128 ciphertext, not clear fMP4. What only the plaintext can show (whole
 * boxes, timing, a clear track, a decodable picture) is the deep checks' part.
 */
export async function checkObjects(store: ObjectStore, outputs: readonly OwnedOutput[], parallel = 8): Promise<CheckFailure[]> {
  // Every segment task of a rendition reports the same init (same bytes, same facts):
  // each distinct fact is read and judged once, and its verdict holds for every report of it.
  const distinct = [...new Map(outputs.map((o) => [factKey(o.fact), o.fact])).entries()];
  const verdicts = new Map<string, Found>();
  for (let i = 0; i < distinct.length; i += parallel) {
    const batch = distinct.slice(i, i + parallel);
    const found = await Promise.all(batch.map(([, fact]) => checkOne(store, fact)));
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

async function checkOne(store: ObjectStore, o: OutputFact): Promise<Found> {
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
  const place = segmentPlaceOf(o.key);
  if (place?.rendition !== o.rendition || place.index !== o.segmentIndex) {
    return fail('key_place_mismatch', `the key places it at ${place ? `${place.rendition} ${place.index}` : 'no segment place'}, reported ${o.rendition} ${o.segmentIndex}`);
  }
  // Segments are small: one read (no more than the reported size and a byte), hashed and looked at.
  const bytes = await store.getBufferUpTo(o.key, o.sizeBytes);
  if (!bytes) return fail('object_missing', 'not in storage');
  if (bytes.length !== o.sizeBytes) return fail('size_mismatch', `${bytes.length > o.sizeBytes ? `more than ${o.sizeBytes}` : bytes.length} bytes, reported ${o.sizeBytes}`);
  if (createHash('sha256').update(bytes).digest('hex') !== o.sha256) return fail('hash_mismatch', 'stored bytes differ from the reported hash');
  const problem = ciphertextProblem(bytes);
  return problem ? fail(...problem) : undefined;
}

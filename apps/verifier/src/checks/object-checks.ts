import { OutputFact } from '@airlock/contracts';
import { ObjectStore } from '@airlock/storage';

/** Every reported object must exist with exactly the reported size and sha256 (no trust in the worker). */
export async function checkObjects(store: ObjectStore, outputs: readonly OutputFact[], parallel = 8): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < outputs.length; i += parallel) {
    const batch = outputs.slice(i, i + parallel);
    const results = await Promise.all(batch.map((o) => checkOne(store, o)));
    failures.push(...results.filter((f): f is string => f !== undefined));
  }
  return failures;
}

async function checkOne(store: ObjectStore, o: OutputFact): Promise<string | undefined> {
  const info = await store.stat(o.key);
  if (!info) return `object_missing: ${o.key}`;
  if (info.size !== o.sizeBytes) return `size_mismatch: ${o.key} is ${info.size} bytes, reported ${o.sizeBytes}`;
  if (!o.key.includes(o.sha256)) return `key_not_content_addressed: ${o.key}`;
  const actual = await store.sha256(o.key);
  if (actual !== o.sha256) return `hash_mismatch: ${o.key}`;
  return undefined;
}

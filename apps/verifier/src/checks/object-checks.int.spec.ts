import { OutputFact } from '@airlock/contracts';
import { storageKeys } from '@airlock/domain';
import { IntegrationEnv, startIntegrationEnv } from '@airlock/testing';
import { factOf, PublishedRendition, publishRendition } from '../test/published-rendition';
import { checkObjects } from './object-checks';

/**
 * The key-free object checks against real storage (s3rver) and a real rendition packaged clear
 * and encrypted whole (AES-128): only the stored bytes count, whatever the report says.
 */
const MEDIA = '11111111-2222-3333-4444-555555555555';
const KEY_ID = '0123456789abcdef0123456789abcdef';
const KEY = Buffer.alloc(16, 0xab);

describe('checkObjects', () => {
  let env: IntegrationEnv;
  let r: PublishedRendition;

  beforeAll(async () => {
    env = await startIntegrationEnv('verifier-objects');
    r = await publishRendition(env.tmp, { rendition: '240p', width: 160, height: 120, seconds: 2, key: KEY, keyIdHex: KEY_ID });
  }, 120_000);

  afterAll(() => env?.close());

  /** Stores `bytes` as the rendition's init or segment 0 and returns its honest report. */
  async function stored(kind: 'init' | 'media', bytes: Buffer): Promise<OutputFact> {
    const fact = factOf(MEDIA, r, kind, bytes);
    await env.store.putBuffer(fact.key, bytes);
    return fact;
  }

  const reasons = async (facts: OutputFact[]) => (await checkObjects(env.store, facts.map((fact) => ({ fact, attemptId: 'a1' })))).map((f) => f.reason);

  it('passes objects that are what the report says', async () => {
    expect(await reasons([await stored('init', r.init), await stored('media', r.segment)])).toEqual([]);
  });

  it('names a missing object, another size, other bytes and a key without the hash', async () => {
    const good = await stored('media', r.segment);
    expect(await reasons([{ ...good, key: storageKeys.mediaSegment(MEDIA, '240p', 9, good.sha256), segmentIndex: 9 }])).toEqual(['object_missing']);
    expect(await reasons([{ ...good, sizeBytes: good.sizeBytes + 1 }])).toEqual(['size_mismatch']);
    // Longer than reported: read no further than the reported size and a byte.
    const [longer] = await checkObjects(env.store, [{ fact: { ...good, sizeBytes: 100 } }]);
    expect(longer).toMatchObject({ reason: 'size_mismatch', detail: `${good.key}: more than 100 bytes, reported 100` });
    const flipped = Buffer.from(r.segment);
    flipped[flipped.length >> 1] ^= 0xff;
    await env.store.putBuffer(good.key, flipped);
    expect(await reasons([good])).toEqual(['hash_mismatch']);
    await env.store.putBuffer(good.key, r.segment);
    expect(await reasons([{ ...good, key: `seg/${MEDIA}/240p/0.m4s` }])).toEqual(['key_not_content_addressed']);
    // Under the media's prefix by its first characters only: refused as a key, not looked up (the store would refuse it).
    expect(await reasons([{ ...good, key: `seg/${MEDIA}/240p/../../other/${good.sha256}` }])).toEqual(['key_invalid']);
  });

  it('names a segment reported for another place than its key names (players derive its IV from the key)', async () => {
    const good = await stored('media', r.segment);
    expect(await reasons([{ ...good, segmentIndex: 1 }])).toEqual(['key_place_mismatch']);
    expect(await reasons([{ ...good, rendition: '360p' }])).toEqual(['key_place_mismatch']);
  });

  it('names an init or segment published clear', async () => {
    expect(await reasons([await stored('init', r.clear.init)])).toEqual(['encryption_missing']);
    expect(await reasons([await stored('media', r.clear.segment)])).toEqual(['encryption_missing']);
    // Clear bytes that happen to fill whole blocks are still clear.
    const aligned = r.clear.segment.subarray(0, r.clear.segment.length - (r.clear.segment.length % 16));
    expect(await reasons([await stored('media', aligned)])).toEqual(['encryption_missing']);
  });

  it('names a truncated or padded ciphertext stored under its own hash, with the whole timing reported', async () => {
    expect(await reasons([await stored('media', r.segment.subarray(0, r.segment.length - 5))])).toEqual(['encryption_not_block_aligned']);
    expect(await reasons([await stored('media', Buffer.concat([r.segment, Buffer.alloc(3)]))])).toEqual(['encryption_not_block_aligned']);
    expect(await reasons([await stored('init', Buffer.alloc(0))])).toEqual(['encryption_not_block_aligned']);
  });

  it('judges one init reported by every segment task once, and blames every attempt that reported a bad one', async () => {
    const bad = await stored('init', r.clear.init);
    const good = await stored('init', r.init);
    const failures = await checkObjects(env.store, [
      { fact: good, attemptId: 'a1' },
      { fact: bad, attemptId: 'a2' },
      { fact: good, attemptId: 'a3' },
      { fact: bad, attemptId: 'a4' },
    ]);
    expect(failures.map((f) => [f.reason, f.attemptId])).toEqual([
      ['encryption_missing', 'a2'],
      ['encryption_missing', 'a4'],
    ]);
    // The same key reported with another size is another claim, judged on its own.
    expect(await reasons([good, { ...good, sizeBytes: good.sizeBytes - 1 }])).toEqual(['size_mismatch']);
  });
});

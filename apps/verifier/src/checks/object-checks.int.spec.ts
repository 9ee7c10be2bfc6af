import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputFact } from '@airlock/contracts';
import { storageKeys } from '@airlock/domain';
import { packageVideoChunk, readInitFacts, readSegmentFacts } from '@airlock/media';
import { IntegrationEnv, makeClip, startIntegrationEnv } from '@airlock/testing';
import { checkObjects } from './object-checks';

/**
 * The object checks against real storage (s3rver) and a real encrypted CMAF segment: only
 * the stored bytes count, whatever the report says.
 */
const MEDIA = '11111111-2222-3333-4444-555555555555';
const KEY_ID = '0123456789abcdef0123456789abcdef';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('checkObjects', () => {
  let env: IntegrationEnv;
  let init: Buffer;
  let segment: Buffer;
  let otherKeyInit: Buffer;

  beforeAll(async () => {
    env = await startIntegrationEnv('verifier-objects');
    const clip = await makeClip(env.tmp, 'clip.mp4', { width: 160, height: 120, seconds: 2, audio: false });
    const pack = async (name: string, keyIdHex: string) => {
      const initOut = join(env.tmp, `${name}-init.mp4`);
      const segmentOut = join(env.tmp, `${name}-seg.m4s`);
      await packageVideoChunk({ input: clip, initOut, segmentOut, encryption: { keyIdHex, keyHex: 'ab'.repeat(16), ivHex: 'cd'.repeat(16) } });
      return { init: await readFile(initOut), segment: await readFile(segmentOut) };
    };
    ({ init, segment } = await pack('own', KEY_ID));
    otherKeyInit = (await pack('other', 'ff'.repeat(16))).init;
  }, 120_000);

  afterAll(() => env?.close());

  /** Stores `bytes` under the content-hash key of `claimed` (default: the bytes themselves) and returns the honest fact. */
  async function stored(kind: 'init' | 'media', bytes: Buffer, claimed: Buffer = bytes): Promise<OutputFact> {
    const hash = sha(claimed);
    const key = kind === 'init' ? storageKeys.initSegment(MEDIA, '240p', hash) : storageKeys.mediaSegment(MEDIA, '240p', 0, hash);
    await env.store.putBuffer(key, bytes);
    const timescale = readInitFacts(init).timescale;
    const facts = kind === 'media' ? readSegmentFacts(claimed) : { baseDecodeTime: 0, duration: 0, sampleCount: 0 };
    return { kind, rendition: '240p', segmentIndex: kind === 'init' ? -1 : 0, key, sha256: hash, sizeBytes: claimed.length, timescale, ...facts };
  }

  const reasons = async (facts: OutputFact[]) => (await checkObjects(env.store, facts.map((fact) => ({ fact, attemptId: 'a1' })), KEY_ID)).map((f) => f.reason);

  it('passes objects that are what the report says', async () => {
    expect(await reasons([await stored('init', init), await stored('media', segment)])).toEqual([]);
  });

  it('names a missing object, another size, other bytes and a key without the hash', async () => {
    const good = await stored('media', segment);
    expect(await reasons([{ ...good, key: storageKeys.mediaSegment(MEDIA, '240p', 9, good.sha256) }])).toEqual(['object_missing']);
    expect(await reasons([{ ...good, sizeBytes: good.sizeBytes + 1 }])).toEqual(['size_mismatch']);
    // Longer than reported: read no further than the reported size and a byte.
    const [longer] = await checkObjects(env.store, [{ fact: { ...good, sizeBytes: 100 } }], KEY_ID);
    expect(longer).toMatchObject({ reason: 'size_mismatch', detail: `${good.key}: more than 100 bytes, reported 100` });
    const flipped = Buffer.from(segment);
    flipped[flipped.length >> 1] ^= 0xff;
    expect(await reasons([await stored('media', flipped, segment)])).toEqual(['hash_mismatch']);
    expect(await reasons([{ ...good, key: `seg/${MEDIA}/240p/0.m4s` }])).toEqual(['key_not_content_addressed']);
    // Under the media's prefix by its first characters only: refused as a key, not looked up (the store would refuse it).
    expect(await reasons([{ ...good, key: `seg/${MEDIA}/240p/../../other/${good.sha256}` }])).toEqual(['key_invalid']);
  });

  it('names a truncated segment stored under its own hash, with the whole timing reported', async () => {
    const cut = segment.subarray(0, Math.floor(segment.length * 0.6));
    const whole = await stored('media', segment);
    const liar = { ...whole, key: storageKeys.mediaSegment(MEDIA, '240p', 0, sha(cut)), sha256: sha(cut), sizeBytes: cut.length };
    await env.store.putBuffer(liar.key, cut);
    expect(await reasons([liar])).toEqual(['segment_unparsable']);
  });

  it("names timing the segment's own boxes contradict", async () => {
    const good = await stored('media', segment);
    expect(await reasons([{ ...good, duration: good.duration - 512 }])).toEqual(['segment_facts_mismatch']);
    expect(await reasons([{ ...good, sampleCount: good.sampleCount + 1 }])).toEqual(['segment_facts_mismatch']);
  });

  it("names an init protected under another key id than the media's", async () => {
    expect(await reasons([await stored('init', otherKeyInit)])).toEqual(['encryption_key_mismatch']);
  });

  it("judges one init reported by every segment task once, and blames every attempt that reported a bad one", async () => {
    const bad = await stored('init', otherKeyInit);
    const good = await stored('init', init);
    const failures = await checkObjects(env.store, [{ fact: good, attemptId: 'a1' }, { fact: bad, attemptId: 'a2' }, { fact: good, attemptId: 'a3' }, { fact: bad, attemptId: 'a4' }], KEY_ID);
    expect(failures.map((f) => [f.reason, f.attemptId])).toEqual([
      ['encryption_key_mismatch', 'a2'],
      ['encryption_key_mismatch', 'a4'],
    ]);
    // The same key reported with another size is another claim, judged on its own.
    expect(await reasons([good, { ...good, sizeBytes: good.sizeBytes - 1 }])).toEqual(['size_mismatch']);
  });
});

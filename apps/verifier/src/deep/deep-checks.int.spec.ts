import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputFact, StreamInfo } from '@airlock/contracts';
import { FIXTURE_RUNGS, IntegrationEnv, makeEncryptedLadder, startIntegrationEnv } from '@airlock/testing';
import { checkObjects } from '../checks/object-checks';
import { encryptAt, factOf, PublishedRendition, publishRendition, withProtectedSampleEntry } from '../test/published-rendition';
import { deepCheck } from './deep-checks';

/**
 * Deep checks on a real rendition packaged clear and encrypted whole (AES-128), in real storage:
 * decrypted with the media's key as a player does, read through its clear boxes, probed and
 * decoded whole; every mismatch with what the worker reported is named.
 */
const MEDIA = '22222222-3333-4444-5555-666666666666';
const KEY_ID = 'fedcba9876543210fedcba9876543210';
const KEY = Buffer.alloc(16, 0x3c);
const OTHER_KEY = Buffer.alloc(16, 0x01);

describe('deepCheck', () => {
  let env: IntegrationEnv;
  let r: PublishedRendition;
  let stream: StreamInfo;

  beforeAll(async () => {
    env = await startIntegrationEnv('verifier-deep');
    r = await publishRendition(env.tmp, { rendition: '240p', width: 320, height: 240, seconds: 2, key: KEY, keyIdHex: KEY_ID });
    stream = { rendition: '240p', type: 'video', codecs: r.codecs, width: 320, height: 240, fps: { num: 30, den: 1 }, bitrateKbps: 400 };
  }, 120_000);

  afterAll(() => env?.close());

  /** Stores the init and segment bytes and returns their honest reports. */
  async function published(init: Buffer = r.init, segment: Buffer = r.segment): Promise<OutputFact[]> {
    const outputs = [factOf(MEDIA, r, 'init', init), factOf(MEDIA, r, 'media', segment)];
    await env.store.putBuffer(outputs[0].key, init);
    await env.store.putBuffer(outputs[1].key, segment);
    return outputs;
  }

  const reasons = async (o: { stream?: Partial<StreamInfo>; key?: Buffer; keyId?: string; media?: Partial<OutputFact>; init?: Buffer; segment?: Buffer } = {}) => {
    const facts = (await published(o.init, o.segment)).map((f) => (f.kind === 'media' ? { ...f, ...o.media } : f));
    const failures = await deepCheck({ store: env.store, streams: [{ ...stream, ...o.stream } as StreamInfo], outputs: facts, key: o.key ?? KEY, keyIdHex: o.keyId ?? KEY_ID, ownerOf: () => 'a1', tempRoot: env.tmp });
    return failures.map((f) => f.reason);
  };

  it('passes a rendition that decrypts and decodes to what was reported', async () => {
    expect(await reasons()).toEqual([]);
  });

  it('passes a ladder made the way the pipeline makes it: every segment of the video and the audio, the audio within a frame of the video', async () => {
    const mediaId = '33333333-4444-5555-6666-777777777777';
    const bucketDir = join(env.tmp, 'ladder-bucket');
    const ladder = await makeEncryptedLadder({ workDir: env.tmp, bucketDir, mediaId, keyIdHex: KEY_ID, key: KEY, seconds: 4, rungs: [FIXTURE_RUNGS[0]] });
    for (const o of ladder.outputs) await env.store.putBuffer(o.key, await readFile(join(bucketDir, o.key)));
    expect(ladder.segmentCounts).toEqual({ [FIXTURE_RUNGS[0].name]: 2, audio: expect.any(Number) });
    expect(ladder.segmentCounts['audio']).toBeGreaterThan(1);
    expect(await checkObjects(env.store, ladder.outputs.map((fact) => ({ fact })))).toEqual([]);
    expect(await deepCheck({ store: env.store, streams: ladder.streams, outputs: ladder.outputs, key: KEY, keyIdHex: KEY_ID, ownerOf: () => 'a1', tempRoot: env.tmp })).toEqual([]);
  }, 120_000);

  it('names objects that do not decrypt under the media key, the init and each segment on its own', async () => {
    expect(await reasons({ key: OTHER_KEY })).toEqual(['segment_undecryptable', 'segment_undecryptable']);
    // One segment encrypted under another key than the media's: that segment is named, the init passes.
    const [failure] = await deepCheck({
      store: env.store,
      streams: [stream],
      outputs: await published(r.init, await encryptAt(r.clear.segment, OTHER_KEY, KEY_ID, '240p', 0)),
      key: KEY,
      keyIdHex: KEY_ID,
      ownerOf: (key) => (key.includes('/0-') ? 'a2' : 'a1'),
      tempRoot: env.tmp,
    });
    expect(failure).toMatchObject({ reason: 'segment_undecryptable', attemptId: 'a2' });
  });

  it('names an object encrypted with another IV than its place gives (players would garble its first block)', async () => {
    // Segment 0's bytes encrypted with the IV of segment 1.
    expect(await reasons({ segment: await encryptAt(r.clear.segment, KEY, KEY_ID, '240p', 1) })).toEqual(['segment_unparsable']);
    // Another key id: every IV differs.
    expect(await reasons({ keyId: '00'.repeat(16) })).toEqual(['segment_unparsable', 'segment_unparsable']);
  });

  it('names a truncated segment that still decrypts', async () => {
    // Cut at a block boundary and encrypted honestly: only the clear boxes show it.
    const cut = r.clear.segment.subarray(0, Math.floor(r.clear.segment.length * 0.6));
    expect(await reasons({ segment: await encryptAt(cut, KEY, KEY_ID, '240p', 0) })).toEqual(['segment_unparsable']);
  });

  it('names timing and samples the clear boxes contradict', async () => {
    expect(await reasons({ media: { duration: r.segmentFacts.duration - 512 } })).toEqual(['segment_facts_mismatch']);
    expect(await reasons({ media: { baseDecodeTime: r.segmentFacts.baseDecodeTime + 512 } })).toEqual(['segment_facts_mismatch']);
  });

  it('names an init whose track is still protected', async () => {
    const protectedInit = withProtectedSampleEntry(r.clear.init);
    expect(await reasons({ init: await encryptAt(protectedInit, KEY, KEY_ID, '240p', -1) })).toEqual(['init_protected']);
  });

  it('names a segment whose boxes are whole but whose pictures do not decode', async () => {
    const damaged = Buffer.from(r.clear.segment);
    const mdat = damaged.indexOf(Buffer.from('mdat', 'latin1'));
    damaged.fill(0x5a, mdat + 64, mdat + 64 + 2048);
    expect(await reasons({ segment: await encryptAt(damaged, KEY, KEY_ID, '240p', 0) })).toEqual(['decode_failed']);
  });

  it('names another codec, other dimensions and another frame rate', async () => {
    expect(await reasons({ stream: { codecs: 'hvc1.2.4.L93.B0' } })).toEqual(['codec_mismatch']);
    expect(await reasons({ stream: { width: 426 } })).toEqual(['dimensions_mismatch']);
    expect(await reasons({ stream: { fps: { num: 25, den: 1 } } })).toEqual(['fps_mismatch']);
  });

  it('leaves nothing of the plaintext behind, whatever the verdict', async () => {
    await reasons();
    await reasons({ stream: { width: 426 } });
    expect((await readdir(env.tmp)).filter((d) => d.startsWith('airlock-verify-'))).toEqual([]);
  });
});

import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputFact, StreamInfo } from '@airlock/contracts';
import { storageKeys } from '@airlock/domain';
import { packageVideoChunk, readInitFacts, readSegmentFacts } from '@airlock/media';
import { IntegrationEnv, makeClip, startIntegrationEnv } from '@airlock/testing';
import { deepCheck } from './deep-checks';

/**
 * Deep checks on a real encrypted CMAF segment in real storage: decrypted with the media's key,
 * probed and decoded whole; every mismatch with what the worker reported is named.
 */
const MEDIA = '22222222-3333-4444-5555-666666666666';
const KEY_ID = 'fedcba9876543210fedcba9876543210';
const KEY = Buffer.alloc(16, 0x3c);

describe('deepCheck', () => {
  let env: IntegrationEnv;
  let outputs: OutputFact[];
  let stream: StreamInfo;

  beforeAll(async () => {
    env = await startIntegrationEnv('verifier-deep');
    const clip = await makeClip(env.tmp, 'clip.mp4', { width: 320, height: 240, seconds: 2, audio: false });
    const initOut = join(env.tmp, 'init.mp4');
    const segmentOut = join(env.tmp, 'seg.m4s');
    await packageVideoChunk({ input: clip, initOut, segmentOut, encryption: { keyIdHex: KEY_ID, keyHex: KEY.toString('hex'), ivHex: '11'.repeat(16) } });
    const init = await readFile(initOut);
    const segment = await readFile(segmentOut);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const timescale = readInitFacts(init).timescale;
    const base = { rendition: '240p', sha256: '', key: '', sizeBytes: 0, timescale, baseDecodeTime: 0, duration: 0, sampleCount: 0 };
    outputs = [
      { ...base, kind: 'init', segmentIndex: -1, key: storageKeys.initSegment(MEDIA, '240p', sha(init)), sha256: sha(init), sizeBytes: init.length },
      { ...base, kind: 'media', segmentIndex: 0, key: storageKeys.mediaSegment(MEDIA, '240p', 0, sha(segment)), sha256: sha(segment), sizeBytes: segment.length, ...readSegmentFacts(segment) },
    ];
    await env.store.putBuffer(outputs[0].key, init);
    await env.store.putBuffer(outputs[1].key, segment);
    stream = { rendition: '240p', type: 'video', codecs: readInitFacts(init).codecs, width: 320, height: 240, fps: { num: 30, den: 1 }, bitrateKbps: 400 };
  }, 120_000);

  afterAll(() => env?.close());

  const reasons = async (overrides: { stream?: Partial<StreamInfo>; key?: Buffer; keyId?: string; media?: Partial<OutputFact> } = {}) => {
    const facts = outputs.map((o) => (o.kind === 'media' ? { ...o, ...overrides.media } : o));
    const failures = await deepCheck({ store: env.store, streams: [{ ...stream, ...overrides.stream } as StreamInfo], outputs: facts, key: overrides.key ?? KEY, keyIdHex: overrides.keyId ?? KEY_ID, ownerOf: () => 'a1', tempRoot: env.tmp });
    return failures.map((f) => f.reason);
  };

  it('passes a segment that decodes to what was reported', async () => {
    expect(await reasons()).toEqual([]);
  });

  it('names a wrong key, another codec, other dimensions, another frame rate and missing frames', async () => {
    expect(await reasons({ keyId: '00'.repeat(16) })).toEqual(['decrypt_failed']);
    expect(await reasons({ key: Buffer.alloc(16, 0x01) })).toEqual(['decode_failed']);
    expect(await reasons({ stream: { codecs: 'hvc1.2.4.L93.B0' } })).toEqual(['codec_mismatch']);
    expect(await reasons({ stream: { width: 426 } })).toEqual(['dimensions_mismatch']);
    expect(await reasons({ stream: { fps: { num: 25, den: 1 } } })).toEqual(['fps_mismatch']);
    expect(await reasons({ media: { sampleCount: 61 } })).toEqual(['decode_failed']);
  });

  it('leaves nothing of the plaintext behind, whatever the verdict', async () => {
    await reasons();
    await reasons({ media: { sampleCount: 61 } });
    expect((await readdir(env.tmp)).filter((d) => d.startsWith('airlock-verify-'))).toEqual([]);
  });
});

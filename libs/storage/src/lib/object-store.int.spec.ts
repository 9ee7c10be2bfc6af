import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { ObjectStore, sha256File } from './object-store';
import { putFileToUrl, PutError } from './presigned-put';
import { LOCAL_S3_CREDENTIALS, LocalS3, startLocalS3 } from './s3rver.launcher';

describe('ObjectStore against s3rver', () => {
  let s3: LocalS3;
  let store: ObjectStore;
  const dir = mkdtempSync(join(tmpdir(), 'airlock-s3-'));

  beforeAll(async () => {
    s3 = await startLocalS3({ directory: join(dir, 'data'), buckets: ['airlock-it'], publicReadPrefixes: ['seg/'] });
    store = new ObjectStore({ endpoint: s3.endpoint, ...LOCAL_S3_CREDENTIALS, region: 'us-east-1', bucket: 'airlock-it', singlePart: true });
    await store.ensureBucket();
  });
  afterAll(async () => {
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  /** A presigned PUT bound to `body` (the only kind ObjectStore signs), signed now for `ttlSec`. */
  const boundPut = (key: string, body: Buffer, ttlSec = 60, signer = store) => signer.presignBoundPut(key, { sizeBytes: body.length, sha256Hex: sha256(body) }, { signedAt: new Date(), ttlSec });

  it('puts, stats, hashes, lists and deletes by prefix', async () => {
    const file = join(dir, 'a.bin');
    writeFileSync(file, Buffer.alloc(300_000, 7));
    await store.putFile('seg/m1/a.bin', file);
    await store.putBuffer('seg/m1/b.txt', 'hello');
    expect(await store.stat('seg/m1/a.bin')).toEqual({ key: 'seg/m1/a.bin', size: 300_000 });
    expect(await store.stat('seg/m1/missing')).toBeUndefined();
    expect(await store.sha256('seg/m1/a.bin')).toBe(await sha256File(file));
    expect((await store.list('seg/m1/')).map((o) => o.key).sort()).toEqual(['seg/m1/a.bin', 'seg/m1/b.txt']);
    expect(await store.deletePrefix('seg/m1/')).toBe(2);
    expect(await store.list('seg/m1/')).toEqual([]);
  });

  it('accepts a presigned PUT, serves it back through a presigned GET, and public prefixes without a signature', async () => {
    const body = Buffer.from('presigned body');
    const put = await boundPut('src/m2/x', body);
    expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body })).status).toBe(200);
    const got = await fetch(await store.presignGet('src/m2/x', 60));
    expect(got.status).toBe(200);
    const bytes = Buffer.from(await got.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));

    await store.putBuffer('seg/m2/0.m4s', 'ciphertext');
    expect(await (await fetch(store.publicUrl('seg/m2/0.m4s'))).text()).toBe('ciphertext');
  });

  it('putFileToUrl streams a file to a presigned PUT, and a refusal is a PutError with nothing written', async () => {
    const file = join(dir, 'streamed.bin');
    writeFileSync(file, Buffer.alloc(3_000_000, 9));
    const bytes = Buffer.alloc(3_000_000, 9);
    const put = await boundPut('src/m5/streamed', bytes);
    await putFileToUrl(put.url, file, put.headers);
    expect(await store.sha256('src/m5/streamed')).toBe(await sha256File(file));

    const other = await boundPut('src/m5/a', bytes);
    const refused = await putFileToUrl(other.url.replace('/src/m5/a', '/src/m5/b'), file, other.headers).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PutError);
    expect((refused as PutError).status).toBe(403);
    expect(await store.stat('src/m5/b')).toBeUndefined();
  });

  it('putFileToUrl gives up on a store that takes the upload and never answers', async () => {
    const file = join(dir, 'stalled.bin');
    writeFileSync(file, Buffer.alloc(1000, 1));
    // Reads the whole body, then says nothing.
    const silent = createServer((req) => req.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const stalled = await putFileToUrl(`http://127.0.0.1:${port}/bucket/key`, file, {}, 300).catch((e: unknown) => e);
      expect(stalled).toBeInstanceOf(PutError);
      expect((stalled as PutError).message).toMatch(/no progress for 0.3 s/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  describe('refuses what a grant does not cover, with a storage error and nothing written', () => {
    const body = Buffer.from('not allowed');
    const bend = (url: string, from: string, to: string) => url.replace(from, to);
    /** A bound PUT of `body`, its URL changed by `change`, sent with its headers. */
    const sendBent = async (key: string, change: (url: string) => string, signer = store) => {
      const put = await boundPut(key, body, 60, signer);
      return fetch(change(put.url), { method: 'PUT', headers: put.headers, body });
    };

    it.each([
      ['a presigned PUT bent to another key', () => sendBent('work/m3/a', (u) => bend(u, '/work/m3/a', '/work/m3/b'))],
      ['a presigned GET used to PUT', async () => fetch(await store.presignGet('work/m3/b', 60), { method: 'PUT', body })],
      ['a presigned PUT with its expiry stretched', () => sendBent('work/m3/b', (u) => bend(u, 'X-Amz-Expires=60', 'X-Amz-Expires=3600'))],
      ['a presigned PUT with its signature stripped', () => sendBent('work/m3/b', (u) => u.split('?')[0] ?? '')],
      ['an unsigned PUT to a public prefix', async () => fetch(store.publicUrl('seg/m3/b'), { method: 'PUT', body })],
      ['a URL signed with the wrong secret', () => {
        const forged = new ObjectStore({ endpoint: s3.endpoint, accessKey: LOCAL_S3_CREDENTIALS.accessKey, secretKey: 'guessed', region: 'us-east-1', bucket: 'airlock-it', singlePart: true });
        return sendBent('work/m3/b', (u) => u, forged);
      }],
    ])('%s', async (_case, attempt) => {
      const res = await attempt();
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/<Code>(SignatureDoesNotMatch|AccessDenied)<\/Code>/);
      expect(await store.list('work/m3/')).toEqual([]);
      expect(await store.list('seg/m3/')).toEqual([]);
    });

    it('an expired presigned GET, an unsigned read of a source and an unsigned listing', async () => {
      await store.putBuffer('src/m4/s', 'sealed source');
      const url = await store.presignGet('src/m4/s', 1);
      await new Promise((r) => setTimeout(r, 2100));
      expect((await fetch(url)).status).toBe(403);
      expect((await fetch(store.publicUrl('src/m4/s'))).status).toBe(403);
      expect((await fetch(`${s3.endpoint}/airlock-it?list-type=2`)).status).toBe(403);
      expect((await fetch(`${s3.endpoint}/airlock-it/src/m4/s`, { method: 'DELETE' })).status).toBe(403);
      expect(await store.stat('src/m4/s')).toEqual({ key: 'src/m4/s', size: 13 });
    });
  });
});

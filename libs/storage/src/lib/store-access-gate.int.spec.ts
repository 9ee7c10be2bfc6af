import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Minio from 'minio';
import { BoundPut } from './bound-put';
import { ObjectStore } from './object-store';
import { LOCAL_S3_CREDENTIALS, LocalS3, startLocalS3 } from './s3rver.launcher';

interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * The local store's gate in front of the real s3rver, driven with raw HTTP: node:http sends the
 * path exactly as written (no `..` folding, no re-encoding), as an attacker's client would.
 */
describe('store access gate against s3rver', () => {
  const BUCKET = 'airlock-gate';
  const SOURCE = Buffer.from('the sealed source: ciphertext only the pipeline can open');
  const SHA = createHash('sha256').update(SOURCE).digest('hex');
  const SOURCE_KEY = `src/m1/${SHA}`;
  const dir = mkdtempSync(join(tmpdir(), 'airlock-gate-'));
  let s3: LocalS3;
  let store: ObjectStore;
  let port: number;

  beforeAll(async () => {
    s3 = await startLocalS3({ directory: join(dir, 'data'), buckets: [BUCKET], publicReadPrefixes: ['seg/'] });
    store = new ObjectStore({ endpoint: s3.endpoint, ...LOCAL_S3_CREDENTIALS, region: 'us-east-1', bucket: BUCKET, singlePart: true });
    port = Number(new URL(s3.endpoint).port);
    await store.putBuffer(SOURCE_KEY, SOURCE);
    await store.putBuffer('seg/m1/240p/0.m4s', 'published ciphertext');
  });
  afterAll(async () => {
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One request with the path as given; `body` may be written in parts, `abort` cuts it off after the first. */
  function raw(method: string, path: string, headers: Record<string, string> = {}, body: Buffer[] = [], opts: { abortAfterFirst?: boolean; between?: () => Promise<void> } = {}): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', (e) => (opts.abortAfterFirst ? resolve({ status: 0, body: e.message }) : reject(e)));
      void (async () => {
        for (const [i, part] of body.entries()) {
          req.write(part);
          if (i === 0 && opts.abortAfterFirst) {
            await new Promise((r) => setTimeout(r, 200));
            req.destroy();
            return;
          }
          if (i === 0) await opts.between?.();
        }
        req.end();
      })();
    });
  }

  /** Path and query of a URL string as written (`new URL` would fold `..`). */
  const pathOf = (url: string) => url.slice(url.indexOf('/', url.indexOf('//') + 2));

  describe('keys that walk out of their prefix are refused, signed or not', () => {
    it('the public prefix serves its own objects to anyone', async () => {
      expect(await raw('GET', `/${BUCKET}/seg/m1/240p/0.m4s`)).toEqual({ status: 200, body: 'published ciphertext' });
    });

    it.each([
      ['an encoded ../ (%2f)', `/${BUCKET}/seg/..%2f${SOURCE_KEY.replace(/\//g, '%2f')}`],
      ['a literal ../ sent as-is', `/${BUCKET}/seg/../${SOURCE_KEY}`],
      ['%2e%2e segments', `/${BUCKET}/seg/%2e%2e/${SOURCE_KEY}`],
      ['upper-case %2E%2E%2F', `/${BUCKET}/seg/%2E%2E%2F${SOURCE_KEY}`],
      ['a mixed .%2e', `/${BUCKET}/seg/.%2e/${SOURCE_KEY}`],
      ['two levels up and back into the bucket', `/${BUCKET}/seg/m1/../../${SOURCE_KEY}`],
      ['a . segment', `/${BUCKET}/seg/./m1/240p/0.m4s`],
      ['an empty segment', `/${BUCKET}/seg//m1/240p/0.m4s`],
      ['a raw backslash', `/${BUCKET}/seg/..\\${SOURCE_KEY}`],
      ['an encoded backslash', `/${BUCKET}/seg/..%5c${SOURCE_KEY}`],
      ['an encoded NUL', `/${BUCKET}/seg/m1/240p/0.m4s%00`],
      ['a bucket named ..', `/..%2f${BUCKET}/seg/m1/240p/0.m4s`],
      ['broken percent-encoding', `/${BUCKET}/seg/%E0%A4%A`],
    ])('unsigned GET with %s: 400, not the source', async (_case, path) => {
      const answer = await raw('GET', path);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatch(/<Code>InvalidURI<\/Code>/);
      expect(answer.body).not.toContain('sealed source');
    });

    it('a validly signed URL for a traversal key is refused too (one rule for every request)', async () => {
      // The minio client itself, not ObjectStore (which refuses to sign such a key at all).
      const u = new URL(s3.endpoint);
      const minio = new Minio.Client({ endPoint: u.hostname, port: Number(u.port), useSSL: false, ...LOCAL_S3_CREDENTIALS, region: 'us-east-1', pathStyle: true });
      const signed = await minio.presignedGetObject(BUCKET, `seg/../${SOURCE_KEY}`, 60);
      expect(pathOf(signed)).toContain('/seg/../src/');
      const answer = await raw('GET', pathOf(signed));
      expect(answer.status).toBe(400);
      expect(answer.body).not.toContain('sealed source');
      // The same URL for the real key works: the refusal is the key, not the signature.
      expect((await raw('GET', pathOf(await minio.presignedGetObject(BUCKET, SOURCE_KEY, 60)))).body).toBe(SOURCE.toString());
    });

    it('a virtual-host Host header cannot move the bucket behind the gate', async () => {
      const answer = await raw('GET', `/seg/m1/240p/0.m4s`, { host: `${BUCKET}.s3.amazonaws.com` });
      expect(answer.status).toBe(400);
      // Any other Host name is not taken for a bucket either (s3rver's vhostBuckets is off).
      expect((await raw('GET', `/${SOURCE_KEY}`, { host: BUCKET })).status).toBe(403);
    });

    it('the app cannot build such a key either: ObjectStore refuses it before any request', async () => {
      await expect(store.getBuffer(`seg/../${SOURCE_KEY}`)).rejects.toThrow(/'\.\.' segment/);
      expect(() => store.publicUrl('seg//x')).toThrow(/empty segment/);
      await expect(store.presignBoundPut('seg/a\\b', { sizeBytes: 1, sha256Hex: SHA }, { signedAt: new Date(), ttlSec: 60 })).rejects.toThrow(/backslash/);
      await expect(store.list('seg/../')).rejects.toThrow(/'\.\.' segment/);
    });
  });

  describe("a source's presigned PUT is bound to the declared bytes and creates once", () => {
    const TEN = Buffer.from('0123456789');
    const TEN_SHA = createHash('sha256').update(TEN).digest('hex');
    let n = 0;
    async function bound(sizeBytes = TEN.length, sha256Hex = TEN_SHA, signedAt = new Date(), ttlSec = 300): Promise<{ put: BoundPut; key: string }> {
      const key = `src/up-${++n}/${sha256Hex}`;
      return { key, put: await store.presignBoundPut(key, { sizeBytes, sha256Hex }, { signedAt, ttlSec }) };
    }
    const putWith = (put: BoundPut, body: Buffer, headers: Record<string, string> = put.headers) => raw('PUT', pathOf(put.url), { ...headers, 'content-length': String(body.length) }, [body]);

    it('the honest PUT works, with the headers the answer names', async () => {
      const { put, key } = await bound();
      expect(put.headers).toEqual({ 'Content-Length': '10', 'If-None-Match': '*', 'x-amz-checksum-sha256': Buffer.from(TEN_SHA, 'hex').toString('base64') });
      expect(new URL(put.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host;if-none-match;x-amz-checksum-sha256');
      expect((await putWith(put, TEN)).status).toBe(200);
      expect(await store.getBuffer(key)).toEqual(TEN);
      // With fetch, as a browser (or AirlockClient.upload) sends it.
      const viaFetch = await bound();
      expect((await fetch(viaFetch.put.url, { method: 'PUT', headers: viaFetch.put.headers, body: TEN })).status).toBe(200);
      expect((await fetch(viaFetch.put.url, { method: 'PUT', headers: viaFetch.put.headers, body: TEN })).status).toBe(412);
    });

    it('20 bytes against a declared 10 are refused, and nothing is stored', async () => {
      const { put, key } = await bound();
      const answer = await putWith(put, Buffer.concat([TEN, TEN]));
      expect(answer.status).toBe(403);
      expect(answer.body).toMatch(/SignatureDoesNotMatch/);
      expect(await store.stat(key)).toBeUndefined();
    });

    it('other bytes of the declared length are refused (BadDigest) and removed; the honest PUT still works after', async () => {
      const { put, key } = await bound();
      const answer = await putWith(put, Buffer.from('9876543210'));
      expect(answer.status).toBe(400);
      expect(answer.body).toMatch(/<Code>BadDigest<\/Code>/);
      expect(await store.stat(key)).toBeUndefined();
      expect((await putWith(put, TEN)).status).toBe(200);
      expect(await store.getBuffer(key)).toEqual(TEN);
    });

    it('a second PUT with the same URL is refused 412, and the first bytes stay', async () => {
      const { put, key } = await bound();
      expect((await putWith(put, TEN)).status).toBe(200);
      const again = await putWith(put, TEN);
      expect(again.status).toBe(412);
      expect(again.body).toMatch(/PreconditionFailed/);
      // Without the condition the signature no longer holds: the URL cannot overwrite either.
      const { 'If-None-Match': _dropped, ...withoutCondition } = put.headers;
      expect((await putWith(put, TEN, withoutCondition)).status).toBe(403);
      expect(await store.getBuffer(key)).toEqual(TEN);
    });

    it('two concurrent creates of one key: one is stored, the other refused 412', async () => {
      const { put, key } = await bound();
      const slow = () => raw('PUT', pathOf(put.url), put.headers, [TEN.subarray(0, 5), TEN.subarray(5)], { between: () => new Promise((r) => setTimeout(r, 150)) });
      const answers = await Promise.all([slow(), slow()]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 412]);
      expect(await store.getBuffer(key)).toEqual(TEN);
    });

    it('a create-only object reads as absent until it is whole, and an interrupted one is removed so a retry can create it', async () => {
      const { put, key } = await bound();
      let seenMidway: unknown = 'not checked';
      const answer = await raw('PUT', pathOf(put.url), put.headers, [TEN.subarray(0, 5), TEN.subarray(5)], {
        between: async () => {
          await new Promise((r) => setTimeout(r, 150));
          seenMidway = await store.stat(key);
        },
      });
      expect(answer.status).toBe(200);
      expect(seenMidway).toBeUndefined();

      const cut = await bound();
      await raw('PUT', pathOf(cut.put.url), cut.put.headers, [TEN.subarray(0, 5), TEN.subarray(5)], { abortAfterFirst: true });
      await new Promise((r) => setTimeout(r, 200));
      expect(await store.stat(cut.key)).toBeUndefined();
      expect((await putWith(cut.put, TEN)).status).toBe(200);
    });

    describe('the SigV4 check still refuses bent requests', () => {
      it.each([
        ['a checksum header for other bytes', (p: BoundPut) => ({ ...p.headers, 'x-amz-checksum-sha256': createHash('sha256').update('other').digest('base64') })],
        ['the checksum header left out', (p: BoundPut) => ({ 'Content-Length': p.headers['Content-Length'] ?? '', 'If-None-Match': '*' })],
        ['an unsigned x-amz header added (a copy from another key)', (p: BoundPut) => ({ ...p.headers, 'x-amz-copy-source': `/${BUCKET}/${SOURCE_KEY}` })],
      ])('%s', async (_case, headersOf) => {
        const { put, key } = await bound();
        const answer = await putWith(put, TEN, headersOf(put));
        expect(answer.status).toBe(403);
        expect(await store.stat(key)).toBeUndefined();
      });

      it('a URL bent to another key, or past its lifetime', async () => {
        const { put } = await bound();
        const bent = await raw('PUT', pathOf(put.url).replace('/src/', '/seg/'), put.headers, [TEN]);
        expect(bent.status).toBe(403);
        expect(bent.body).toMatch(/SignatureDoesNotMatch/);
        const old = await bound(TEN.length, TEN_SHA, new Date(Date.now() - 120_000), 60);
        const expired = await putWith(old.put, TEN);
        expect(expired.status).toBe(403);
        expect(expired.body).toMatch(/Request has expired/);
      });

      it('a copy source that walks out of its prefix is refused even on a signed request', async () => {
        const answer = await raw('PUT', `/${BUCKET}/seg/m9/x`, { 'x-amz-copy-source': `/${BUCKET}/seg/..%2f${SOURCE_KEY}` });
        expect(answer.status).toBe(400);
      });
    });

    it("a worker output's bound PUT: a rendition's shared init written by two tasks is one object; without the headers the URL writes nothing", async () => {
      const key = `seg/m2/240p/init-${TEN_SHA}.mp4`;
      const [first, second] = await Promise.all([1, 2].map(() => store.presignBoundPut(key, { sizeBytes: TEN.length, sha256Hex: TEN_SHA }, { signedAt: new Date(), ttlSec: 300 })));
      expect((await putWith(first, TEN)).status).toBe(200);
      expect((await putWith(second, TEN)).status).toBe(412);
      expect((await raw('PUT', pathOf(second.url), {}, [Buffer.from('two')])).status).toBe(403);
      expect((await store.list('seg/m2/240p/')).map((o) => o.key)).toEqual([key]);
      expect(await store.getBuffer(key)).toEqual(TEN);
    });
  });
});

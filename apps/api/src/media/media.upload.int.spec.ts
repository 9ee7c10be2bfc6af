import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { AirlockApiError } from '@airlock/client-sdk';
import { uploadFile } from '@airlock/client-sdk/node';
import type { CreateMediaResponse } from '@airlock/contracts';
import { generateX25519KeyPair, wrapKey } from '@airlock/crypto';
import { IntegrationEnv, startIntegrationEnv } from '@airlock/testing';
import { ApiDeps } from '../api.deps';
import { hashApiKey } from '../tenants/api-key';
import { TenantGuard } from '../tenants/tenant.guard';
import { ApiTestApp, apiTestDeps, startApiTestApp } from '../testing/api-test-app';
import { MediaController } from './media.controller';
import { MediaService } from './media.service';

const API_KEY = 'upload-binding-key';

/**
 * The source upload over HTTP, on real Postgres and s3rver behind the store's gate: the answer's
 * presigned PUT takes the declared bytes once and nothing else. Before, a PUT of 20 bytes against
 * a declared 10 was stored, and the URL rewrote the source after upload-complete.
 */
describe('media upload: the PUT is bound to the declared size and sha256, create-only', () => {
  let env: IntegrationEnv;
  let deps: ApiDeps;
  let api: ApiTestApp;
  const TEN = Buffer.from('0123456789');

  beforeAll(async () => {
    env = await startIntegrationEnv('api-upload');
    deps = apiTestDeps(env);
    await env.store.ensureBucket();
    api = await startApiTestApp(deps, { controllers: [MediaController], providers: [MediaService, TenantGuard] });
    await env.db.tenant.create({ data: { id: 'up', name: 'up', apiKeyHash: hashApiKey(API_KEY) } });
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(`${api.base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function create(source: Buffer, idempotencyKey?: string): Promise<CreateMediaResponse> {
    const recipient = await generateX25519KeyPair();
    const contentKeyJwe = await wrapKey(new Uint8Array(32).fill(3), deps.pipelineKey.publicJwk);
    const sha256 = createHash('sha256').update(source).digest('hex');
    const res = await call<CreateMediaResponse>(
      'POST',
      '/v1/media',
      { recipients: [{ id: 'alice', publicJwk: recipient.publicJwk }], source: { sizeBytes: source.length, sha256, contentKeyJwe } },
      idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
    );
    expect(res.status).toBe(201);
    return res.body;
  }

  /** A PUT exactly as a client might send it (node:http, no SDK), with the given headers and body. */
  function put(url: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'PUT', headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const sourceOf = async (id: string) => env.store.getBuffer((await env.db.media.findUniqueOrThrow({ where: { id } })).sourceKey);

  it('names the headers the URL is signed for', async () => {
    const { upload } = await create(TEN);
    expect(upload.headers).toMatchObject({ 'Content-Length': '10', 'If-None-Match': '*', 'x-amz-checksum-sha256': createHash('sha256').update(TEN).digest('base64') });
    expect(new URL(upload.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host;if-none-match;x-amz-checksum-sha256');
  });

  it('refuses 20 bytes against a declared 10, and other bytes of the right length; then takes the declared ones', async () => {
    const { id, upload } = await create(TEN);
    const twenty = await put(upload.url, upload.headers, Buffer.concat([TEN, TEN]));
    expect(twenty.status).toBe(403);
    const other = await put(upload.url, upload.headers, Buffer.from('abcdefghij'));
    expect([other.status, /BadDigest/.test(other.body)]).toEqual([400, true]);
    expect((await call<{ error: { code: string } }>('POST', `/v1/media/${id}/upload-complete`)).body.error.code).toBe('upload_missing');

    expect((await put(upload.url, upload.headers, TEN)).status).toBe(200);
    expect(await call('POST', `/v1/media/${id}/upload-complete`)).toEqual({ status: 202, body: { id, state: 'uploaded' } });
    expect(await sourceOf(id)).toEqual(TEN);
  });

  it('refuses any write to the source after upload-complete; the SDK counts its own repeat as done', async () => {
    const { id, upload } = await create(TEN);
    const file = join(env.tmp, 'ten.bin');
    writeFileSync(file, TEN);
    await uploadFile(upload, file);
    await call('POST', `/v1/media/${id}/upload-complete`);

    const again = await put(upload.url, upload.headers, Buffer.from('abcdefghij'));
    expect([again.status, /PreconditionFailed/.test(again.body)]).toEqual([412, true]);
    const { 'If-None-Match': _condition, ...unconditional } = upload.headers;
    expect((await put(upload.url, unconditional, Buffer.from('abcdefghij'))).status).toBe(403);
    // A retried upload of the same file (an answer lost on the way) resolves; the bytes stay.
    await expect(uploadFile(upload, file)).resolves.toBeUndefined();
    expect(await sourceOf(id)).toEqual(TEN);

    const twenty = join(env.tmp, 'twenty.bin');
    writeFileSync(twenty, Buffer.concat([TEN, TEN]));
    const fresh = await create(TEN);
    const refused = await uploadFile(fresh.upload, twenty).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AirlockApiError);
    expect((refused as AirlockApiError).status).toBe(403);
  });

  it('a repeated create (same idempotency key) gets the same upload window, not a longer one', async () => {
    const first = await create(TEN, 'same-key');
    await new Promise((r) => setTimeout(r, 1100));
    const second = await create(TEN, 'same-key');
    expect(second.id).toBe(first.id);
    expect(second.upload.expiresAt).toBe(first.upload.expiresAt);
    const row = await env.db.media.findUniqueOrThrow({ where: { id: first.id } });
    expect(row.expiresAt?.toISOString()).toBe(first.upload.expiresAt);
    expect((row.expiresAt?.getTime() ?? 0) - row.createdAt.getTime()).toBe(deps.config.UPLOAD_URL_TTL_SEC * 1000);
  });
});

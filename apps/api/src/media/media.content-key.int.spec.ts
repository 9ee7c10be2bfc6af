import { generateX25519KeyPair, wrapKey } from '@airlock/crypto';
import { IntegrationEnv, startIntegrationEnv } from '@airlock/testing';
import { ApiDeps } from '../api.deps';
import { hashApiKey } from '../tenants/api-key';
import { TenantGuard } from '../tenants/tenant.guard';
import { ApiTestApp, apiTestDeps, startApiTestApp } from '../testing/api-test-app';
import { MediaController } from './media.controller';
import { MediaService } from './media.service';

const API_KEY = 'content-key-key';

/**
 * POST /v1/media over HTTP on real Postgres: a content key the pipeline key cannot open (or that
 * is no AES-256 key) is refused at create with 422 content_key_invalid, and no media is stored;
 * before, it was accepted and every grant of the media failed later.
 */
describe('media create: the content key is checked', () => {
  let env: IntegrationEnv;
  let deps: ApiDeps;
  let api: ApiTestApp;

  beforeAll(async () => {
    env = await startIntegrationEnv('api-content-key');
    deps = apiTestDeps(env);
    await env.store.ensureBucket();
    api = await startApiTestApp(deps, { controllers: [MediaController], providers: [MediaService, TenantGuard] });
    await env.db.tenant.create({ data: { id: 'ck', name: 'ck', apiKeyHash: hashApiKey(API_KEY) } });
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  async function create(contentKeyJwe: string): Promise<{ status: number; body: { id?: string; error?: { code: string; message: string } } }> {
    const recipient = await generateX25519KeyPair();
    const res = await fetch(`${api.base}/v1/media`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ recipients: [{ id: 'alice', publicJwk: recipient.publicJwk }], source: { sizeBytes: 1000, sha256: 'a'.repeat(64), contentKeyJwe } }),
    });
    return { status: res.status, body: (await res.json()) as { id?: string; error?: { code: string; message: string } } };
  }

  it('refuses a JWE the pipeline key cannot open, or one of the wrong key size, with 422 content_key_invalid', async () => {
    const before = await env.db.media.count({ where: { tenantId: 'ck' } });
    const toAnotherKey = await wrapKey(new Uint8Array(32).fill(1), (await generateX25519KeyPair()).publicJwk);
    const shortKey = await wrapKey(new Uint8Array(16).fill(1), deps.pipelineKey.publicJwk);
    // Compact-JWE shaped, but garbage inside.
    const garbage = 'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00ifQ.d3JhcHBlZA.aXY.Y2lwaGVydGV4dA.dGFn';
    for (const jwe of [toAnotherKey, shortKey, garbage]) {
      const { status, body } = await create(jwe);
      expect([status, body.error?.code]).toEqual([422, 'content_key_invalid']);
      expect(body.error?.message).toEqual(expect.any(String));
    }
    expect(await env.db.media.count({ where: { tenantId: 'ck' } })).toBe(before);
  });

  it('creates a media whose content key the pipeline key opens', async () => {
    const { status, body } = await create(await wrapKey(new Uint8Array(32).fill(2), deps.pipelineKey.publicJwk));
    expect(status).toBe(201);
    expect(await env.db.media.findUnique({ where: { id: body.id ?? '' } })).toMatchObject({ tenantId: 'ck', state: 'created' });
  });
});

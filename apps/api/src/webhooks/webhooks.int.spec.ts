import { randomUUID } from 'node:crypto';
import { transitionMedia } from '@airlock/db';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { hashApiKey } from '../tenants/api-key';
import { TenantGuard } from '../tenants/tenant.guard';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';
import { ApiTestApp, apiTestDeps, startApiTestApp } from '../testing/api-test-app';

/** The webhook endpoints over HTTP: the real guard, validation and error shape, on real Postgres. */
describe('webhook endpoints', () => {
  let env: IntegrationEnv;
  let api: ApiTestApp;
  let base: string;

  beforeAll(async () => {
    env = await startIntegrationEnv('api-webhooks');
    api = await startApiTestApp(apiTestDeps(env), { controllers: [WebhooksController], providers: [WebhooksService, TenantGuard] });
    base = api.base;
    for (const t of ['ta', 'tb']) await env.db.tenant.create({ data: { id: t, name: t, apiKeyHash: hashApiKey(`key-${t}`) } });
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  async function call(tenant: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(tenant ? { Authorization: `Bearer key-${tenant}` } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
  }

  it('needs the tenant key', async () => {
    expect(await call(undefined, 'GET', '/v1/webhook-endpoint')).toMatchObject({ status: 401, json: { error: { code: 'unauthorized' } } });
    expect((await call(undefined, 'PUT', '/v1/webhook-endpoint', { url: 'https://chat.example/hooks' })).status).toBe(401);
  });

  it('sets the endpoint with a fresh secret shown once, shows it without the secret, and clears it', async () => {
    expect(await call('ta', 'GET', '/v1/webhook-endpoint')).toEqual({ status: 200, json: { url: null, configured: false } });

    const set = await call('ta', 'PUT', '/v1/webhook-endpoint', { url: 'https://chat.example/hooks/airlock' });
    expect(set).toEqual({ status: 200, json: { url: 'https://chat.example/hooks/airlock', secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/) } });
    const secret = (set.json as { secret: string }).secret;
    expect(await env.db.tenant.findUniqueOrThrow({ where: { id: 'ta' } })).toMatchObject({ webhookUrl: 'https://chat.example/hooks/airlock', webhookSecret: secret });

    const shown = await call('ta', 'GET', '/v1/webhook-endpoint');
    expect(shown).toEqual({ status: 200, json: { url: 'https://chat.example/hooks/airlock', configured: true } });
    expect(JSON.stringify(shown.json)).not.toContain('whsec_');
    // Another tenant's endpoint is its own.
    expect((await call('tb', 'GET', '/v1/webhook-endpoint')).json).toEqual({ url: null, configured: false });

    const again = await call('ta', 'PUT', '/v1/webhook-endpoint', { url: 'https://hooks.chat.example:8443/airlock' });
    expect((again.json as { secret: string }).secret).not.toBe(secret);

    expect(await call('ta', 'DELETE', '/v1/webhook-endpoint')).toEqual({ status: 200, json: { url: null, configured: false } });
    expect(await env.db.tenant.findUniqueOrThrow({ where: { id: 'ta' } })).toMatchObject({ webhookUrl: null, webhookSecret: null });
  });

  it('refuses anything but an http(s) URL', async () => {
    for (const body of [{}, { url: 'not a url' }, { url: 'ftp://chat.example/hooks' }, { url: 'javascript:alert(1)' }, { url: `https://chat.example/${'a'.repeat(2100)}` }]) {
      expect(await call('tb', 'PUT', '/v1/webhook-endpoint', body)).toMatchObject({ status: 400, json: { error: { code: 'invalid_request' } } });
    }
    expect((await env.db.tenant.findUniqueOrThrow({ where: { id: 'tb' } })).webhookUrl).toBeNull();
  });

  it('refuses targets inside the network (422 webhook_target_forbidden), credentials in the URL, and keeps the old endpoint', async () => {
    expect((await call('tb', 'PUT', '/v1/webhook-endpoint', { url: 'https://chat.example/hooks' })).status).toBe(200);
    const targets: [string, Record<string, unknown>][] = [
      ['http://127.0.0.1:3001/hooks', { reason: 'forbidden_address', kind: 'loopback' }],
      ['http://2130706433/', { reason: 'forbidden_address', kind: 'loopback' }],
      ['http://0x7f.1/', { reason: 'forbidden_address', kind: 'loopback' }],
      ['http://[::ffff:127.0.0.1]/', { reason: 'forbidden_address', kind: 'loopback' }],
      ['http://169.254.169.254/latest/meta-data/', { reason: 'forbidden_address', kind: 'metadata' }],
      ['http://[fd00:ec2::254]/', { reason: 'forbidden_address', kind: 'metadata' }],
      ['http://10.0.0.5:8080/hooks', { reason: 'forbidden_address', kind: 'private' }],
      ['http://100.64.0.1/', { reason: 'forbidden_address', kind: 'cgnat' }],
      ['http://[fe80::1]/', { reason: 'forbidden_address', kind: 'link_local' }],
      ['http://0.0.0.0:3000/', { reason: 'forbidden_address', kind: 'unspecified' }],
      ['http://localhost:3000/', { reason: 'local_name' }],
      ['http://redis:6379/', { reason: 'local_name' }],
      ['https://user:secret@chat.example/hooks', { reason: 'userinfo' }],
    ];
    for (const [url, details] of targets) {
      const res = await call('tb', 'PUT', '/v1/webhook-endpoint', { url });
      expect([url, res]).toEqual([url, { status: 422, json: { error: { code: 'webhook_target_forbidden', message: expect.any(String), details } } }]);
    }
    expect((await env.db.tenant.findUniqueOrThrow({ where: { id: 'tb' } })).webhookUrl).toBe('https://chat.example/hooks');
  });

  it('accepts a private target when the development switch is on', async () => {
    const dev = await startApiTestApp(apiTestDeps(env, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }), { controllers: [WebhooksController], providers: [WebhooksService, TenantGuard] });
    try {
      const res = await fetch(`${dev.base}/v1/webhook-endpoint`, {
        method: 'PUT',
        headers: { Authorization: 'Bearer key-tb', 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: 'http://127.0.0.1:3001/hooks' }),
      });
      expect(res.status).toBe(200);
    } finally {
      await dev.close();
    }
  });

  it('shows delivery errors as classes, never the socket error an older row may hold', async () => {
    const id = await mediaWithEvents();
    await env.db.webhookEvent.updateMany({ where: { mediaId: id }, data: { attempts: 3, lastError: 'ECONNREFUSED' } });
    const res = await call('ta', 'GET', `/v1/media/${id}/webhooks`);
    expect((res.json as { events: { lastError: string }[] }).events.map((e) => e.lastError)).toEqual(['unreachable', 'unreachable']);
  });

  async function mediaWithEvents(): Promise<string> {
    const { id } = await env.db.media.create({ data: mediaRow('ta', 'processing') });
    for (const to of ['preview_ready', 'verifying', 'ready'] as const) await transitionMedia(env.db, { mediaId: id, to });
    return id;
  }

  it("lists a media's events and their delivery state, to its tenant only", async () => {
    const id = await mediaWithEvents();
    const [first] = await env.db.webhookEvent.findMany({ where: { mediaId: id }, orderBy: { seq: 'asc' } });
    const deliveredAt = new Date('2026-01-01T00:00:00Z');
    await env.db.webhookEvent.update({ where: { id: first.id }, data: { deliveryState: 'delivered', attempts: 2, deliveredAt, lastError: null } });

    const res = await call('ta', 'GET', `/v1/media/${id}/webhooks`);
    expect(res).toEqual({
      status: 200,
      json: {
        mediaId: id,
        events: [
          { id: first.id, seq: 1, type: 'preview_available', deliveryState: 'delivered', attempts: 2, deliveredAt: deliveredAt.toISOString(), lastError: null },
          { id: expect.any(String), seq: 2, type: 'ready', deliveryState: 'pending', attempts: 0, deliveredAt: null, lastError: null },
        ],
      },
    });
    expect((await call('tb', 'GET', `/v1/media/${id}/webhooks`)).status).toBe(404);
    expect((await call('ta', 'GET', `/v1/media/${randomUUID()}/webhooks`)).status).toBe(404);
    expect((await call('ta', 'GET', '/v1/media/not-an-id/webhooks')).status).toBe(404);
  });

  it('replays from a seq or all, keeping ids and seqs', async () => {
    const id = await mediaWithEvents();
    await env.db.webhookEvent.updateMany({ where: { mediaId: id }, data: { deliveryState: 'failed', attempts: 12, lastError: 'http_500', nextAttemptAt: new Date('2030-01-01T00:00:00Z') } });
    const before = await env.db.webhookEvent.findMany({ where: { mediaId: id }, orderBy: { seq: 'asc' } });

    expect(await call('ta', 'POST', `/v1/media/${id}/webhooks/replay`, { fromSeq: 2 })).toEqual({ status: 202, json: { replayed: 1 } });
    let after = await env.db.webhookEvent.findMany({ where: { mediaId: id }, orderBy: { seq: 'asc' } });
    expect(after.map((e) => [e.id, e.seq, e.deliveryState, e.attempts])).toEqual([
      [before[0].id, 1, 'failed', 12],
      [before[1].id, 2, 'pending', 0],
    ]);
    expect(after[1].nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());

    expect(await call('ta', 'POST', `/v1/media/${id}/webhooks/replay`)).toEqual({ status: 202, json: { replayed: 2 } });
    after = await env.db.webhookEvent.findMany({ where: { mediaId: id }, orderBy: { seq: 'asc' } });
    expect(after.map((e) => [e.id, e.deliveryState, e.attempts, e.lastError])).toEqual(before.map((e) => [e.id, 'pending', 0, null]));

    expect((await call('ta', 'POST', `/v1/media/${id}/webhooks/replay`, { fromSeq: 0 })).status).toBe(400);
    expect((await call('ta', 'POST', `/v1/media/${id}/webhooks/replay`, { fromSeq: 'one' })).status).toBe(400);
    expect((await call('tb', 'POST', `/v1/media/${id}/webhooks/replay`, {})).status).toBe(404);
  });
});

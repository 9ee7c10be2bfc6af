import { randomUUID } from 'node:crypto';
import { generateSigningKeyPair, signJobToken } from '@airlock/crypto';
import { HealthController, rateLimitedTotal, READINESS } from '@airlock/telemetry';
import { IntegrationEnv, startIntegrationEnv } from '@airlock/testing';
import { ApiDeps } from '../api.deps';
import { GrantService } from '../grants/grant.service';
import { GrantsController } from '../grants/grants.controller';
import { KeysController } from '../keys/keys.controller';
import { hashApiKey } from '../tenants/api-key';
import { TenantGuard } from '../tenants/tenant.guard';
import { WebhooksController } from '../webhooks/webhooks.controller';
import { WebhooksService } from '../webhooks/webhooks.service';
import { ApiTestApp, apiTestDeps, startApiTestApp } from '../testing/api-test-app';
import { installRateLimits } from './rate-limit.guard';

/**
 * The limits over HTTP against real Redis (this file's own key prefix) and Postgres: two api
 * "replicas" share the counters. Each case speaks from its own source address (X-Forwarded-For,
 * trusted one hop) and with its own tenants and workers, so the cases do not share a window.
 */
describe('rate limits', () => {
  let env: IntegrationEnv;
  let deps: ApiDeps;
  let api: ApiTestApp;
  let replica: ApiTestApp;

  const start = () =>
    startApiTestApp(
      deps,
      {
        controllers: [WebhooksController, KeysController, GrantsController, HealthController],
        providers: [WebhooksService, TenantGuard, GrantService, { provide: READINESS, useValue: { checks: async () => ({}), accepting: () => true } }],
      },
      (app) => installRateLimits(app, deps),
    );

  beforeAll(async () => {
    env = await startIntegrationEnv('api-rate-limits');
    deps = apiTestDeps(env, { RATE_LIMIT_PER_TENANT: '5', RATE_LIMIT_PER_ADDRESS: '8', RATE_LIMIT_PER_WORKER: '4', RATE_LIMIT_WINDOW_SEC: '60', TRUST_PROXY_HOPS: '1' });
    api = await start();
    replica = await start();
    for (const t of ['ta', 'tb', 'tc', 'td']) await env.db.tenant.create({ data: { id: t, name: t, apiKeyHash: hashApiKey(`key-${t}`) } });
  });
  afterAll(async () => {
    await replica?.close();
    await api?.close();
    await env?.close();
  });

  interface Answer {
    readonly status: number;
    readonly retryAfter: string | null;
    readonly json: unknown;
  }
  async function call(from: string, path: string, opts: { tenant?: string; body?: unknown; via?: ApiTestApp } = {}): Promise<Answer> {
    const res = await fetch(`${(opts.via ?? api).base}${path}`, {
      method: opts.body === undefined ? 'GET' : 'POST',
      headers: {
        'X-Forwarded-For': from,
        ...(opts.tenant ? { Authorization: `Bearer key-${opts.tenant}` } : {}),
        ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    return { status: res.status, retryAfter: res.headers.get('retry-after'), json: text ? (JSON.parse(text) as unknown) : undefined };
  }
  const statuses = async (n: number, fn: () => Promise<Answer>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await fn()).status);
    return out;
  };
  const limited = (scope: string) => ({
    status: 429,
    retryAfter: expect.stringMatching(/^[1-9][0-9]?$/),
    json: { error: { code: 'rate_limited', message: expect.any(String), details: { scope, retryAfterSec: expect.any(Number) } } },
  });

  it('answers 429 with Retry-After past a tenant limit, counted across replicas; another tenant is not affected', async () => {
    const from = '198.51.100.1';
    expect(await statuses(3, () => call(from, '/v1/webhook-endpoint', { tenant: 'ta' }))).toEqual([200, 200, 200]);
    expect(await statuses(2, () => call(from, '/v1/webhook-endpoint', { tenant: 'ta', via: replica }))).toEqual([200, 200]);
    const over = await call(from, '/v1/webhook-endpoint', { tenant: 'ta', via: replica });
    expect(over).toEqual(limited('tenant'));
    expect(Number(over.retryAfter)).toBeLessThanOrEqual(60);
    expect(await call(from, '/v1/webhook-endpoint', { tenant: 'ta' })).toEqual(limited('tenant'));
    expect((await rateLimitedTotal.get()).values.find((v) => v.labels.scope === 'tenant')?.value).toBe(2);

    expect((await call(from, '/v1/webhook-endpoint', { tenant: 'tb' })).status).toBe(200);
    expect((await call('198.51.100.2', '/v1/webhook-endpoint', { tenant: 'tb' })).status).toBe(200);
  });

  it('limits each source address, unauthenticated requests and GET /v1/keys included; health is never limited', async () => {
    const from = '198.51.100.3';
    expect(await statuses(6, () => call(from, '/v1/webhook-endpoint'))).toEqual([401, 401, 401, 401, 401, 401]);
    expect(await statuses(2, () => call(from, '/v1/keys'))).toEqual([200, 200]);
    expect(await call(from, '/v1/webhook-endpoint')).toEqual(limited('address'));
    expect(await call(from, '/v1/keys')).toEqual(limited('address'));
    // A valid key from that address waits too: the address is counted before the key.
    expect(await call(from, '/v1/webhook-endpoint', { tenant: 'tc' })).toEqual(limited('address'));
    expect(await statuses(12, () => call(from, '/health'))).toEqual(Array(12).fill(200));
    // Another address is not.
    expect((await call('198.51.100.4', '/v1/webhook-endpoint')).status).toBe(401);
  });

  it('limits grant calls per verified worker, and calls whose token does not verify per address', async () => {
    const from = '198.51.100.5';
    const ids = { mediaId: randomUUID(), jobId: randomUUID(), taskId: randomUUID() };
    const token = (workerId: string, key = env.keys.workerPrivateJwk) => signJobToken({ workerId, attemptId: randomUUID(), ...ids }, key, 60);
    const heartbeat = async (t: string) => call(from, `/v1/grants/${randomUUID()}/heartbeat`, { body: { token: t } });

    const w1 = await token('worker-a');
    expect(await statuses(4, () => heartbeat(w1))).toEqual([200, 200, 200, 200]);
    expect(await heartbeat(w1)).toEqual(limited('worker'));
    // Another token of the same worker process is the same worker.
    expect(await heartbeat(await token('worker-a'))).toEqual(limited('worker'));
    expect((await heartbeat(await token('worker-b'))).status).toBe(200);

    // Forged tokens count against the address (which the verified calls above did not use).
    const stranger = (await generateSigningKeyPair('fleet-local')).privateJwk;
    const forged = await token('worker-c', stranger);
    expect(await statuses(8, () => heartbeat(forged))).toEqual(Array(8).fill(401));
    expect(await heartbeat(forged)).toEqual(limited('address'));
    expect((await heartbeat(await token('worker-c'))).status).toBe(200);
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { verifyWebhook } from '@airlock/client-sdk/node';
import type { WebhookEventBody } from '@airlock/contracts';
import { createPrismaClient, PrismaClient, replayWebhookEvents, transitionMedia } from '@airlock/db';
import { MediaState } from '@airlock/domain';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { HostResolver } from './pinned-webhook-sender';
import { WebhookDispatcher, WebhookDispatcherDeps, WebhookDispatcherSettings } from './webhook-dispatcher';

interface Received {
  readonly tenant: string;
  readonly headers: IncomingMessage['headers'];
  readonly raw: string;
  readonly body: WebhookEventBody;
}

/** What the receiver answers for a delivery: a status, or a delay first (to outlast the sender's timeout). */
type Answer = number | { readonly afterMs: number; readonly status: number };

/**
 * The dispatcher on real Postgres against a real HTTP receiver on an ephemeral port. Time that
 * matters to the schedule comes from an injected clock (kept ahead of the database's own now()).
 */
describe('WebhookDispatcher', () => {
  let env: IntegrationEnv;
  let server: Server;
  let base: string;
  const received: Received[] = [];
  const answers = new Map<string, (b: WebhookEventBody, n: number) => Answer>();
  const secrets = new Map<string, string>();
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  const advance = (ms: number) => (offsetMs += ms);
  // The receivers listen on 127.0.0.1: most cases run with the development switch on.
  const settings: WebhookDispatcherSettings = {
    pollMs: 20,
    timeoutMs: 2000,
    retry: { baseMs: 1000, capMs: 60_000, maxAttempts: 4 },
    batch: 16,
    leaseMs: 30_000,
    targets: { allowPrivate: true, requireHttps: false },
  };
  const dispatcher = (overrides: Partial<WebhookDispatcherSettings> = {}, db: PrismaClient = env.db, deps: WebhookDispatcherDeps = {}) =>
    new WebhookDispatcher(db, { ...settings, ...overrides }, { clock, random: () => 0, ...deps });

  beforeAll(async () => {
    env = await startIntegrationEnv('webhooks');
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const tenant = (req.url ?? '/').slice(1);
        const raw = Buffer.concat(chunks).toString('utf8');
        const body = JSON.parse(raw) as WebhookEventBody;
        received.push({ tenant, headers: req.headers, raw, body });
        const answer = answers.get(tenant)?.(body, received.filter((r) => r.body.id === body.id).length) ?? 200;
        const { afterMs, status } = typeof answer === 'number' ? { afterMs: 0, status: answer } : answer;
        setTimeout(() => res.writeHead(status).end(), afterMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await env?.close();
  });

  async function tenant(options: { withUrl?: boolean; url?: (id: string) => string; answer?: (b: WebhookEventBody, n: number) => Answer } = {}): Promise<string> {
    const id = `t-${randomBytes(4).toString('hex')}`;
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    secrets.set(id, secret);
    if (options.answer) answers.set(id, options.answer);
    const url = options.withUrl === false ? null : (options.url?.(id) ?? `${base}/${id}`);
    await env.db.tenant.create({ data: { id, name: id, apiKeyHash: randomUUID(), webhookUrl: url, webhookSecret: url ? secret : null } });
    return id;
  }

  /** A media moved through `path` by the real transitions, so the outbox writes its events. */
  async function media(tenantId: string, from: MediaState, ...path: MediaState[]): Promise<string> {
    const { id } = await env.db.media.create({ data: mediaRow(tenantId, from) });
    for (const to of path) expect(await transitionMedia(env.db, { mediaId: id, to })).toBe(true);
    return id;
  }
  const events = (mediaId: string) => env.db.webhookEvent.findMany({ where: { mediaId }, orderBy: { seq: 'asc' } });
  const receivedBy = (t: string) => received.filter((r) => r.tenant === t);

  it('delivers a signed event with a stable id and records it in the timeline', async () => {
    const t = await tenant();
    const id = await media(t, 'verifying', 'ready');
    const [event] = await events(id);

    expect(await dispatcher().runOnce()).toEqual({ claimed: 1, delivered: 1, failed: 0 });

    const [got] = receivedBy(t);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toMatch(/^Airlock-Webhooks\//);
    expect(got.headers['airlock-event-id']).toBe(event.id);
    expect(verifyWebhook(secrets.get(t) ?? '', got.headers, got.raw, { now: clock() })).toEqual({ ok: true, timestamp: expect.any(Number) });
    expect(verifyWebhook('whsec_other', got.headers, got.raw, { now: clock() })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(got.body).toEqual({ id: event.id, type: 'ready', mediaId: id, seq: 1, state: 'ready', recipientStatus: 'Downloading secure media', occurredAt: event.createdAt.toISOString() });

    const [after] = await events(id);
    expect(after).toMatchObject({ deliveryState: 'delivered', attempts: 1, lastError: null });
    expect(after.deliveredAt).toBeInstanceOf(Date);
    const timeline = await env.db.event.findMany({ where: { mediaId: id, type: { startsWith: 'webhook_' } } });
    expect(timeline.map((e) => [e.type, e.reason, e.data])).toEqual([['webhook_delivered', 'ready', { seq: 1, attempts: 1, status: 200 }]]);

    expect(await dispatcher().runOnce()).toEqual({ claimed: 0, delivered: 0, failed: 0 });
  });

  it('retries a failing receiver with growing delays and delivers the same event again (at least once)', async () => {
    const t = await tenant({ answer: (_, n) => (n <= 2 ? 500 : 200) });
    const id = await media(t, 'verifying', 'ready');
    const d = dispatcher();

    const t1 = clock().getTime();
    expect(await d.runOnce()).toMatchObject({ claimed: 1, failed: 1 });
    const [first] = await events(id);
    expect(first).toMatchObject({ deliveryState: 'pending', attempts: 1, lastError: 'http_500' });
    const delay1 = first.nextAttemptAt.getTime() - t1;
    expect(delay1).toBeGreaterThanOrEqual(1000);

    // Not due yet: nothing is sent.
    expect(await d.runOnce()).toMatchObject({ claimed: 0 });
    advance(1000);
    const t2 = clock().getTime();
    expect(await d.runOnce()).toMatchObject({ claimed: 1, failed: 1 });
    const [second] = await events(id);
    expect(second.attempts).toBe(2);
    expect(second.nextAttemptAt.getTime() - t2).toBeGreaterThan(delay1);

    advance(2000);
    expect(await d.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(await events(id)).toMatchObject([{ deliveryState: 'delivered', attempts: 3, lastError: null }]);

    const got = receivedBy(t);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.headers['airlock-event-id']))).toEqual(new Set([first.id]));
    expect(new Set(got.map((r) => r.raw)).size).toBe(1);
    const timeline = await env.db.event.findMany({ where: { mediaId: id, type: { startsWith: 'webhook_' } }, orderBy: { id: 'asc' } });
    expect(timeline.map((e) => [e.type, e.data])).toEqual([
      ['webhook_failed', { seq: 1, attempts: 1, status: 500 }],
      ['webhook_failed', { seq: 1, attempts: 2, status: 500 }],
      ['webhook_delivered', { seq: 1, attempts: 3, status: 200 }],
    ]);
  });

  it('counts a receiver that outlasts the timeout as a failure, and sends again', async () => {
    const t = await tenant({ answer: (_, n) => (n === 1 ? { afterMs: 1500, status: 200 } : 200) });
    const id = await media(t, 'verifying', 'ready');
    expect(await dispatcher({ timeoutMs: 300 }).runOnce()).toMatchObject({ failed: 1 });
    expect(await events(id)).toMatchObject([{ deliveryState: 'pending', attempts: 1, lastError: 'timeout' }]);
    advance(1000);
    expect(await dispatcher({ timeoutMs: 300 }).runOnce()).toMatchObject({ delivered: 1 });
    // The receiver saw the event twice: it deduplicates on the id.
    expect(receivedBy(t).map((r) => r.body.seq)).toEqual([1, 1]);
  });

  it('keeps a media in order: seq 2 waits while seq 1 is failing, other media are not held up', async () => {
    const t = await tenant({ answer: (b, n) => (b.seq === 1 && b.state === 'preview_ready' && n <= 2 ? 503 : 200) });
    const id = await media(t, 'processing', 'preview_ready', 'verifying', 'ready');
    const other = await media(t, 'verifying', 'ready');
    const d = dispatcher();

    expect(await d.runOnce()).toEqual({ claimed: 2, delivered: 1, failed: 1 });
    expect(await d.runOnce()).toMatchObject({ claimed: 0 });
    advance(1000);
    expect(await d.runOnce()).toMatchObject({ claimed: 1, failed: 1 });
    advance(2000);
    expect(await d.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(await d.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });

    expect(receivedBy(t).filter((r) => r.body.mediaId === id).map((r) => [r.body.seq, r.body.type])).toEqual([
      [1, 'preview_available'],
      [1, 'preview_available'],
      [1, 'preview_available'],
      [2, 'ready'],
    ]);
    expect(receivedBy(t).filter((r) => r.body.mediaId === other)).toHaveLength(1);
  });

  it('never sends one event twice when two dispatchers claim at the same time (SKIP LOCKED)', async () => {
    const t = await tenant({ answer: () => ({ afterMs: 100, status: 200 }) });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await media(t, 'verifying', 'ready'));
    const second = createPrismaClient({ databaseUrl: env.databaseUrl, schema: env.schema, poolSize: 4 });
    try {
      const a = dispatcher({ batch: 5 });
      const b = dispatcher({ batch: 5 }, second);
      const rounds = [...(await Promise.all([a.runOnce(), b.runOnce()])), ...(await Promise.all([a.runOnce(), b.runOnce()])), ...(await Promise.all([a.runOnce(), b.runOnce()]))];
      expect(rounds.reduce((n, r) => n + r.claimed, 0)).toBe(12);
      expect(rounds.reduce((n, r) => n + r.delivered, 0)).toBe(12);
    } finally {
      await second.$disconnect();
    }
    const got = receivedBy(t).map((r) => r.body.mediaId);
    expect(got).toHaveLength(12);
    expect(new Set(got)).toEqual(new Set(ids));
  });

  it('keeps the events of a tenant without an endpoint pending, and delivers them once it sets one', async () => {
    const t = await tenant({ withUrl: false });
    const id = await media(t, 'uploaded', 'queued', 'processing', 'preview_ready');
    advance(60_000);
    expect(await dispatcher().runOnce()).toMatchObject({ claimed: 0 });
    expect((await events(id)).map((e) => e.deliveryState)).toEqual(['pending', 'pending']);

    await env.db.tenant.update({ where: { id: t }, data: { webhookUrl: `${base}/${t}`, webhookSecret: secrets.get(t) } });
    expect(await dispatcher().runOnce()).toMatchObject({ delivered: 1 });
    expect(await dispatcher().runOnce()).toMatchObject({ delivered: 1 });
    expect(receivedBy(t).map((r) => [r.body.seq, r.body.type])).toEqual([
      [1, 'preparing'],
      [2, 'preview_available'],
    ]);
  });

  it('marks an event failed after the last attempt and stops sending it', async () => {
    const t = await tenant({ answer: () => 500 });
    const id = await media(t, 'verifying', 'ready');
    const d = dispatcher();
    for (let i = 0; i < 4; i++) {
      expect(await d.runOnce()).toMatchObject({ claimed: 1, failed: 1 });
      advance(60_000);
    }
    expect(await events(id)).toMatchObject([{ deliveryState: 'failed', attempts: 4, lastError: 'http_500', deliveredAt: null }]);
    expect(await d.runOnce()).toMatchObject({ claimed: 0 });
    expect(receivedBy(t)).toHaveLength(4);
    expect(await env.db.event.count({ where: { mediaId: id, type: 'webhook_failed' } })).toBe(4);
  });

  it('replays delivered events under the same ids and seqs, in order', async () => {
    const t = await tenant();
    const id = await media(t, 'processing', 'preview_ready', 'verifying', 'ready');
    const d = dispatcher();
    await d.runOnce();
    await d.runOnce();
    const delivered = await events(id);
    expect(delivered.map((e) => e.deliveryState)).toEqual(['delivered', 'delivered']);

    expect(await replayWebhookEvents(env.db, id, 2, clock())).toBe(1);
    expect(await d.runOnce()).toMatchObject({ delivered: 1 });
    expect(await replayWebhookEvents(env.db, id, 1, clock())).toBe(2);
    expect(await d.runOnce()).toMatchObject({ delivered: 1 });
    expect(await d.runOnce()).toMatchObject({ delivered: 1 });

    const got = receivedBy(t);
    expect(got.map((r) => r.body.seq)).toEqual([1, 2, 2, 1, 2]);
    expect(got.map((r) => r.body.id)).toEqual([delivered[0].id, delivered[1].id, delivered[1].id, delivered[0].id, delivered[1].id]);
    expect((await events(id)).map((e) => [e.id, e.deliveryState, e.attempts])).toEqual(delivered.map((e) => [e.id, 'delivered', 1]));
  });

  it('polls in the background until stopped', async () => {
    const t = await tenant();
    const d = dispatcher();
    d.start();
    try {
      await media(t, 'verifying', 'ready');
      const deadline = Date.now() + 5000;
      while (receivedBy(t).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await d.stop();
    }
    expect(receivedBy(t)).toHaveLength(1);
  });
  describe('targets inside the network', () => {
    /** A receiver of its own: what reaches it at all (connections, not only whole requests). */
    let inside: Server;
    let port: number;
    let connections = 0;
    const requests: IncomingMessage[] = [];
    const strict = { targets: { allowPrivate: false, requireHttps: false } };
    /** Test names: `hooks.chat.test` is the tenant's host, resolving to the receiver's loopback address (or a public and a private one). */
    const resolve: HostResolver = async (name) => {
      if (name === 'hooks.chat.test') return [{ address: '127.0.0.1', family: 4 }];
      if (name === 'mixed.chat.test') return [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    };

    beforeAll(async () => {
      inside = createServer((req, res) => {
        requests.push(req);
        req.resume();
        req.on('end', () => res.writeHead(204).end());
      });
      inside.on('connection', () => connections++);
      await new Promise<void>((r) => inside.listen(0, '127.0.0.1', r));
      port = (inside.address() as AddressInfo).port;
    });
    afterAll(async () => {
      inside?.closeAllConnections();
      await new Promise((r) => inside?.close(r));
    });

    const lastErrors = async (id: string) => (await events(id)).map((e) => [e.deliveryState, e.attempts, e.lastError]);
    const timelineStatuses = async (id: string) =>
      (await env.db.event.findMany({ where: { mediaId: id, type: { startsWith: 'webhook_' } }, orderBy: { id: 'asc' } })).map((e) => (e.data as { status: unknown }).status);

    it('refuses a name that resolves to a loopback address, before any connection, as forbidden_target', async () => {
      const t = await tenant({ url: (id) => `http://hooks.chat.test:${port}/${id}` });
      const id = await media(t, 'verifying', 'ready');
      await dispatcher(strict, env.db, { resolve }).runOnce();
      expect(await lastErrors(id)).toEqual([['pending', 1, 'forbidden_target']]);
      expect(await timelineStatuses(id)).toEqual(['forbidden_target']);

      // One public address among them is not enough: every address is judged.
      await env.db.tenant.update({ where: { id: t }, data: { webhookUrl: `http://mixed.chat.test:${port}/${t}` } });
      advance(60_000);
      await dispatcher(strict, env.db, { resolve }).runOnce();
      expect(await lastErrors(id)).toEqual([['pending', 2, 'forbidden_target']]);

      // A literal address stored before the rules existed is refused at delivery too.
      await env.db.tenant.update({ where: { id: t }, data: { webhookUrl: `http://127.0.0.1:${port}/${t}` } });
      advance(60_000);
      await dispatcher(strict, env.db, { resolve }).runOnce();
      expect(await lastErrors(id)).toEqual([['pending', 3, 'forbidden_target']]);

      expect(requests).toHaveLength(0);
      expect(connections).toBe(0);
    });

    it('delivers to the same name with the development switch, to the address it checked, with the Host header of the URL', async () => {
      const t = await tenant({ url: (id) => `http://hooks.chat.test:${port}/${id}` });
      const id = await media(t, 'verifying', 'ready');
      await dispatcher({}, env.db, { resolve }).runOnce();
      expect(await lastErrors(id)).toEqual([['delivered', 1, null]]);
      expect(requests.map((r) => [r.url, r.headers.host])).toEqual([[`/${t}`, `hooks.chat.test:${port}`]]);
    });

    it('names failures by class only: unreachable, not the address and port', async () => {
      const closed = await new Promise<number>((r) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const p = (probe.address() as AddressInfo).port;
          probe.close(() => r(p));
        });
      });
      const t = await tenant({ url: (id) => `http://127.0.0.1:${closed}/${id}` });
      const id = await media(t, 'verifying', 'ready');
      await dispatcher().runOnce();
      expect(await lastErrors(id)).toEqual([['pending', 1, 'unreachable']]);
      expect(await timelineStatuses(id)).toEqual(['unreachable']);

      await env.db.tenant.update({ where: { id: t }, data: { webhookUrl: `http://nowhere.chat.test/${t}` } });
      advance(60_000);
      await dispatcher({}, env.db, { resolve }).runOnce();
      expect(await lastErrors(id)).toEqual([['pending', 2, 'unreachable']]);
    });
  });

  it('does not follow redirects: a 3xx is a failed delivery', async () => {
    const t = await tenant({ answer: () => 302 });
    const id = await media(t, 'verifying', 'ready');
    await dispatcher().runOnce();
    expect(await events(id)).toMatchObject([{ deliveryState: 'pending', attempts: 1, lastError: 'http_302' }]);
  });
});

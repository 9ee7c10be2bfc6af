import { randomUUID } from 'node:crypto';
import { AirlockClient } from '@airlock/client-sdk';
import { MediaView } from '@airlock/contracts';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { hashApiKey } from '../tenants/api-key';
import { TenantGuard } from '../tenants/tenant.guard';
import { MediaController } from './media.controller';
import { MediaService } from './media.service';
import { ApiDeps } from '../api.deps';
import { ApiTestApp, apiTestDeps, startApiTestApp } from '../testing/api-test-app';

const API_KEY = 'long-poll-key';
/** Far beyond what a woken long poll takes: an answer before it came from a notification, not the wait. */
const WOKEN_WITHIN_MS = 10_000;

/**
 * GET /v1/media/:id as a long poll over HTTP, on real Postgres: its triggers notify a change of
 * the media or its job, and the held request answers with the new view; unchanged, it is a 304.
 */
describe('media long poll', () => {
  let env: IntegrationEnv;
  let deps: ApiDeps;
  let api: ApiTestApp;
  let base: string;

  beforeAll(async () => {
    env = await startIntegrationEnv('api-long-poll');
    deps = apiTestDeps(env);
    api = await startApiTestApp(deps, { controllers: [MediaController], providers: [MediaService, TenantGuard] });
    base = api.base;
    await env.db.tenant.create({ data: { id: 'lp', name: 'lp', apiKeyHash: hashApiKey(API_KEY) } });
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  const get = (id: string, headers: Record<string, string> = {}) => fetch(`${base}/v1/media/${id}`, { headers: { Authorization: `Bearer ${API_KEY}`, ...headers } });

  /** A processing media with a job of 4 tasks, `done` of them counted. */
  async function processingMedia(): Promise<{ mediaId: string; jobId: string }> {
    const media = await env.db.media.create({ data: mediaRow('lp', 'processing') });
    const job = await env.db.job.create({ data: { mediaId: media.id, state: 'transcoding', tasksTotal: 4, tasksSucceeded: 0 } });
    return { mediaId: media.id, jobId: job.id };
  }

  const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<'not woken'>((r) => setTimeout(() => r('not woken'), ms))]);

  it('answers with an ETag, and 304 for the same one without waiting', async () => {
    const { mediaId } = await processingMedia();
    const first = await get(mediaId);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect((await get(mediaId, { 'If-None-Match': etag ?? '' })).status).toBe(304);
  });

  it('holds the answer for the wait, then 304 when nothing changed', async () => {
    const { mediaId } = await processingMedia();
    const etag = (await get(mediaId)).headers.get('etag') ?? '';
    const res = await get(mediaId, { 'If-None-Match': etag, Prefer: 'wait=1' });
    expect(res.status).toBe(304);
    expect(res.headers.get('preference-applied')).toBe('wait=1');
  });

  it('answers a held request when the job counts a task, with the new progress', async () => {
    const { mediaId, jobId } = await processingMedia();
    const etag = (await get(mediaId)).headers.get('etag') ?? '';
    const held = get(mediaId, { 'If-None-Match': etag, Prefer: 'wait=30' });
    await new Promise((r) => setTimeout(r, 300));
    await env.db.job.update({ where: { id: jobId }, data: { tasksSucceeded: { increment: 1 } } });
    const res = await within(held, WOKEN_WITHIN_MS);
    if (res === 'not woken') throw new Error('the held request was not woken by the change');
    expect(res.status).toBe(200);
    expect(((await res.json()) as MediaView).progress).toEqual({ done: 1, total: 4 });
    expect(res.headers.get('etag')).not.toBe(etag);
  });

  it("refuses another tenant's or an unknown media at once, wait or not", async () => {
    const res = await get(randomUUID(), { 'If-None-Match': '"x"', Prefer: 'wait=30' });
    expect(res.status).toBe(404);
  });

  it("the SDK's waitFor follows every change through long polls until the media is final", async () => {
    const { mediaId, jobId } = await processingMedia();
    const client = new AirlockClient({ baseUrl: base, apiKey: API_KEY });
    const seen: string[] = [];
    const waiting = client.waitFor(mediaId, { timeoutMs: 60_000, onUpdate: (m) => seen.push(`${m.state} ${m.progress.done}`) });
    for (let done = 1; done <= 4; done++) {
      await new Promise((r) => setTimeout(r, 200));
      await env.db.job.update({ where: { id: jobId }, data: { tasksSucceeded: done } });
    }
    await new Promise((r) => setTimeout(r, 200));
    await env.db.media.update({ where: { id: mediaId }, data: { state: 'ready' } });
    const final = await within(waiting, WOKEN_WITHIN_MS);
    if (final === 'not woken') throw new Error('waitFor did not see the media become ready');
    expect(final.state).toBe('ready');
    expect(seen[0]).toBe('processing 0');
    expect(seen.at(-1)).toBe('ready 4');
  });

  // Last: it closes the listener the app shares.
  it('answers held requests at once, as unchanged, when the api shuts down', async () => {
    const { mediaId } = await processingMedia();
    const etag = (await get(mediaId)).headers.get('etag') ?? '';
    const held = get(mediaId, { 'If-None-Match': etag, Prefer: 'wait=30' });
    await new Promise((r) => setTimeout(r, 300));
    await deps.changes.close();
    const res = await within(held, WOKEN_WITHIN_MS);
    if (res === 'not woken') throw new Error('the held request outlived the shutdown');
    expect(res.status).toBe(304);
  });
});

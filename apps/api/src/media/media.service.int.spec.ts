import { randomUUID } from 'node:crypto';
import { JobName, listMediaQuerySchema } from '@airlock/contracts';
import { jobIdOf, QueueName } from '@airlock/queue';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { ApiError } from '../http/api-error';
import { MediaService } from './media.service';
import { apiTestDeps } from '../testing/api-test-app';

/** Listing, re-drive and deletion against real Postgres, Redis and storage. */
describe('MediaService', () => {
  let env: IntegrationEnv;
  let media: MediaService;
  const ids: string[] = [];

  beforeAll(async () => {
    env = await startIntegrationEnv('media-list');
    media = new MediaService(apiTestDeps(env));
    for (const t of ['ta', 'tb']) await env.db.tenant.create({ data: { id: t, name: t, apiKeyHash: randomUUID() } });
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      ids.unshift(id);
      await env.db.media.create({ data: { ...mediaRow('ta', i % 2 ? 'ready' : 'processing', { id, roomId: i % 2 ? 'room-1' : 'room-2' }), createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)) } });
    }
    await env.db.media.create({ data: mediaRow('tb', 'ready', { roomId: 'room-1' }) });
  });
  afterAll(() => env?.close());

  const query = (q: Record<string, unknown>) => listMediaQuerySchema.parse(q);

  it('pages through the tenant media newest first, and only theirs', async () => {
    const first = await media.list('ta', query({ limit: 2 }));
    const second = await media.list('ta', query({ limit: 2, cursor: first.nextCursor }));
    const last = await media.list('ta', query({ limit: 2, cursor: second.nextCursor }));
    expect([...first.items, ...second.items, ...last.items].map((m) => m.id)).toEqual(ids);
    expect(last.nextCursor).toBeUndefined();
    expect(first.items[0]).toMatchObject({ state: 'processing', recipientStatus: 'Preparing video', roomId: 'room-2' });
  });

  it('filters by room and shows another tenant nothing of this one', async () => {
    expect((await media.list('ta', query({ roomId: 'room-1' }))).items.map((m) => m.id)).toEqual([ids[1], ids[3]]);
    expect((await media.list('tb', query({}))).items.map((m) => m.id)).not.toContain(ids[0]);
    expect((await media.list('tb', query({}))).items).toHaveLength(1);
  });

  it('refuses a malformed query with a validation error', () => {
    expect(() => query({ limit: 0 })).toThrow();
    expect(() => query({ cursor: 'not-a-uuid' })).toThrow();
  });

  it('re-drives a media in failed_retryable once: queued again and a start enqueued; any other state is refused', async () => {
    const failed = await env.db.media.create({ data: mediaRow('ta', 'failed_retryable', { failureCode: 'task_failed', failureMessage: 'x' }) });
    expect(await media.redrive('ta', failed.id)).toEqual({ id: failed.id, state: 'queued' });
    expect(await env.db.media.findUniqueOrThrow({ where: { id: failed.id } })).toMatchObject({ state: 'queued', failureCode: null });
    const start = await env.queues.queue(QueueName.Orchestrator).getJob(jobIdOf('start', failed.id, 'redrive', 1));
    expect(start?.name).toBe(JobName.MediaStart);

    for (const id of [failed.id, (await env.db.media.create({ data: mediaRow('ta', 'failed_terminal') })).id]) {
      const e = await media.redrive('ta', id).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).code).toBe('not_redrivable');
    }
    // Another tenant's media is not found.
    await expect(media.redrive('tb', failed.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('deletes mid-processing: queued and running tasks cancelled, the job cancelled, grants revoked, objects purged', async () => {
    const m = await env.db.media.create({ data: mediaRow('ta', 'processing') });
    const job = await env.db.job.create({ data: { mediaId: m.id, state: 'transcoding', tasksTotal: 3 } });
    const states = ['queued', 'running', 'succeeded'] as const;
    for (const [i, state] of states.entries()) await env.db.task.create({ data: { jobId: job.id, kind: 'video', segmentIndex: i, rendition: '240p', lane: 'short', state } });
    const task = await env.db.task.findFirstOrThrow({ where: { jobId: job.id, state: 'running' } });
    await env.db.grant.create({ data: { jti: randomUUID(), mediaId: m.id, taskId: task.id, attemptId: randomUUID(), workerId: 'w', expiresAt: new Date(Date.now() + 60_000) } });
    await env.store.ensureBucket();
    await env.store.putBuffer(`seg/${m.id}/240p/0-${'a'.repeat(64)}.m4s`, 'ciphertext');

    expect(await media.remove('ta', m.id)).toEqual({ id: m.id, state: 'deleted' });
    expect((await env.db.task.findMany({ where: { jobId: job.id }, orderBy: { segmentIndex: 'asc' } })).map((t) => t.state)).toEqual(['cancelled', 'cancelled', 'succeeded']);
    expect((await env.db.job.findUniqueOrThrow({ where: { id: job.id } })).state).toBe('cancelled');
    expect((await env.db.grant.findFirstOrThrow({ where: { mediaId: m.id } })).revokedAt).not.toBeNull();
    expect(await env.store.list(`seg/${m.id}/`)).toEqual([]);
    // Deleting again is harmless.
    expect(await media.remove('ta', m.id)).toEqual({ id: m.id, state: 'deleted' });
  });
});

import { createHash, randomUUID } from 'node:crypto';
import { Job, Worker } from 'bullmq';
import { JobName } from '@airlock/contracts';
import { DEFAULT_MEDIA_POLICY, MediaState, probePriority } from '@airlock/domain';
import { jobIdOf, QueueName } from '@airlock/queue';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { Prisma } from '@airlock/db';
import { StartHandler } from '../handlers/start.handler';
import { publishJobId, tasksOf } from '../planning/media-flow.builder';
import { planMedia } from '../planning/media-plan';
import { buildProbe } from '../planning/probe.fixture';
import { AttemptWatchdog } from './attempt-watchdog';
import { FlowRebuilder } from './flow-rebuilder';
import { Reconciler } from './reconciler';

const tenantId = 'recovery';

/**
 * Postgres is the truth, Redis holds flows in motion: on real Postgres and Redis, a lost flow is
 * rebuilt from Postgres, a re-driven job resumes, and a silent attempt loses its task.
 */
/**
 * For rows a reconciler with no grace period must judge at once: written "now", a row can share
 * the millisecond its run starts in and not count as quiet (`updatedAt < now`).
 */
const aSecondAgo = () => new Date(Date.now() - 1000);

describe('recovery', () => {
  let env: IntegrationEnv;
  let rebuilder: FlowRebuilder;
  let start: StartHandler;
  let reconciler: Reconciler;

  beforeAll(async () => {
    env = await startIntegrationEnv('recovery');
    await env.db.tenant.create({ data: { id: tenantId, name: tenantId, apiKeyHash: createHash('sha256').update(randomUUID()).digest('hex') } });
    rebuilder = new FlowRebuilder(env.db, env.queues, { taskAttempts: 3 });
    start = new StartHandler(env.db, env.queues, 3, () => DEFAULT_MEDIA_POLICY, rebuilder);
    reconciler = new Reconciler(env.db, env.queues, start, rebuilder, { graceMs: 0, batch: 100 });
  });
  afterAll(() => env?.close());

  const state = (queue: QueueName, id: string) => env.queues.jobState(queue, id);

  /** A planned 12 s media (240p + 360p, audio, no preview) with its tasks in Postgres; `done` of them succeeded. */
  async function plannedMedia(opts: { done: number; media?: MediaState; job?: 'transcoding' | 'failed'; failed?: number }) {
    const probe = buildProbe(12);
    const plan = planMedia(probe, ['240p', '360p'], { shortLaneMaxSec: 60 });
    const media = await env.db.media.create({ data: mediaRow(tenantId, opts.media ?? 'processing') });
    const tasks = tasksOf(plan, randomUUID);
    const job = await env.db.job.create({
      data: {
        mediaId: media.id,
        state: opts.job ?? 'transcoding',
        lane: plan.lane,
        policy: DEFAULT_MEDIA_POLICY as unknown as Prisma.InputJsonValue,
        probe: probe as unknown as Prisma.InputJsonValue,
        plan: plan as unknown as Prisma.InputJsonValue,
        tasksTotal: tasks.length,
        tasksSucceeded: opts.done,
      },
    });
    await env.db.task.createMany({
      data: tasks.map((t, i) => ({
        id: t.id,
        jobId: job.id,
        kind: t.kind,
        segmentIndex: t.segmentIndex,
        rendition: t.rendition,
        lane: plan.lane,
        state: i < opts.done ? ('succeeded' as const) : i < opts.done + (opts.failed ?? 0) ? ('failed' as const) : ('queued' as const),
      })),
    });
    for (const t of tasks.slice(0, opts.done)) {
      const attemptId = randomUUID();
      await env.db.attempt.create({
        data: { id: attemptId, taskId: t.id, number: 1, workerId: 'w1', state: 'succeeded', startedAt: new Date(), report: { taskId: t.id } as unknown as Prisma.InputJsonValue },
      });
      await env.db.task.update({ where: { id: t.id }, data: { winningAttemptId: attemptId } });
    }
    return { mediaId: media.id, jobId: job.id, tasks };
  }

  const workJobId = (kind: string, taskId: string, gen: number) => jobIdOf(kind === 'video' ? 'transcode' : kind, taskId, `g${gen}`);

  it('rebuilds a processing job whose flow Redis lost: done tasks are not run again, the rest are queued, once across replicas', async () => {
    const { mediaId, jobId, tasks } = await plannedMedia({ done: 3 });
    expect(await state(QueueName.Orchestrator, publishJobId(jobId, 0))).toBeUndefined();

    // Two orchestrator replicas reconcile at the same moment.
    const results = await Promise.all([reconciler.run(), new Reconciler(env.db, env.queues, start, rebuilder, { graceMs: 0, batch: 100 }).run()]);
    expect(results.map((r) => r.rebuilt).sort()).toEqual([0, 1]);

    const job = await env.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job.generation).toBe(1);
    expect(await state(QueueName.Orchestrator, publishJobId(jobId, 1))).toBe('waiting-children');
    for (const [i, t] of tasks.entries()) {
      const lane = await state(QueueName.Short, workJobId(t.kind, t.id, 1));
      const record = await state(QueueName.Orchestrator, jobIdOf('record', t.id, 'g1'));
      if (i < 3) {
        // Done: a record step with no work under it (it answers with the stored report).
        expect(lane).toBeUndefined();
        expect(record).toBe('waiting');
      } else {
        expect(lane).toBe('waiting');
        expect(record).toBe('waiting-children');
      }
    }
    const events = await env.db.event.findMany({ where: { mediaId, type: 'flow_rebuilt' } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'flow_missing_from_redis', data: { generation: 1, tasksDone: 3, tasksToRun: tasks.length - 3, preview: false } });

    // The flow is there now: nothing more to do.
    expect((await reconciler.run()).rebuilt).toBe(0);
  });

  it('reaches every job in flight, however many: each run goes on from where the last one stopped', async () => {
    // Jobs whose flows are alive, then one whose flow Redis lost, after them.
    for (let i = 0; i < 3; i++) {
      const alive = await plannedMedia({ done: 0 });
      await rebuilder.rebuild(alive.jobId, 0, 'test');
    }
    const lost = await plannedMedia({ done: 0 });
    const inFlight = await env.db.job.count({ where: { state: { in: ['transcoding', 'packaging'] } } });

    const small = new Reconciler(env.db, env.queues, start, rebuilder, { graceMs: 0, batch: 2 });
    for (let run = 0; run <= Math.ceil(inFlight / 2) && (await env.db.job.findUniqueOrThrow({ where: { id: lost.jobId } })).generation === 0; run++) await small.run();
    expect((await env.db.job.findUniqueOrThrow({ where: { id: lost.jobId } })).generation).toBe(1);
  });

  it('rebuilds a flow whose root is only a fragment Redis left behind (a hash recreated in part after a flush)', async () => {
    const { jobId } = await plannedMedia({ done: 1 });
    await env.queues.redis.hset(`${env.queues.queue(QueueName.Orchestrator).toKey(publishJobId(jobId, 0))}`, 'processedOn', Date.now(), 'failedReason', 'lost');
    expect(await state(QueueName.Orchestrator, publishJobId(jobId, 0))).toBeDefined();
    await reconciler.run();
    expect((await env.db.job.findUniqueOrThrow({ where: { id: jobId } })).generation).toBe(1);
    expect(await state(QueueName.Orchestrator, publishJobId(jobId, 1))).toBe('waiting-children');
  });

  it('fails the media for a re-drive when its flow keeps dying after many rebuilds', async () => {
    const { mediaId, jobId } = await plannedMedia({ done: 1 });
    await env.db.job.update({ where: { id: jobId }, data: { generation: 10, updatedAt: aSecondAgo() } });
    await reconciler.run();
    expect(await env.db.media.findUniqueOrThrow({ where: { id: mediaId } })).toMatchObject({ state: 'failed_retryable', failureCode: 'stage_failed' });
    expect((await env.db.job.findUniqueOrThrow({ where: { id: jobId } })).state).toBe('failed');
  });

  it('leaves deleted, failed and ready media alone', async () => {
    for (const s of ['deleted', 'failed_retryable', 'ready'] as const) await plannedMedia({ done: 1, media: s });
    const before = await env.db.job.count({ where: { generation: { gt: 0 } } });
    await reconciler.run();
    expect(await env.db.job.count({ where: { generation: { gt: 0 } } })).toBe(before);
  });

  it('re-adds the start of an uploaded media and the probe flow of a probing job when Redis lost them', async () => {
    const uploaded = await env.db.media.create({ data: { ...mediaRow(tenantId, 'uploaded'), updatedAt: aSecondAgo() } });
    const result = await reconciler.run();
    expect(result.restarted).toBeGreaterThanOrEqual(1);
    expect(await state(QueueName.Orchestrator, jobIdOf('start', uploaded.id))).toBe('waiting');

    // The start runs (as the orchestrator would): a probing job and its flow; then Redis loses the flow.
    await start.handle({ mediaId: uploaded.id });
    const job = await env.db.job.findFirstOrThrow({ where: { mediaId: uploaded.id } });
    await (await Job.fromId(env.queues.queue(QueueName.Orchestrator), jobIdOf('plan', job.id)))?.remove({ removeChildren: true });
    expect(await state(QueueName.Short, jobIdOf('probe', job.id))).toBeUndefined();
    await env.db.job.update({ where: { id: job.id }, data: { updatedAt: aSecondAgo() } });

    expect((await reconciler.run()).reprobed).toBe(1);
    expect(await state(QueueName.Orchestrator, jobIdOf('plan', job.id))).toBe('waiting-children');
    // Probes wait behind the lane's planned work, smaller uploads first.
    expect(await state(QueueName.Short, jobIdOf('probe', job.id))).toBe('prioritized');
    const probe = await Job.fromId(env.queues.queue(QueueName.Short), jobIdOf('probe', job.id));
    expect(probe?.opts.priority).toBe(probePriority(Number(uploaded.sourceSizeBytes)));
    expect(await env.db.job.count({ where: { mediaId: uploaded.id } })).toBe(1);
  });

  it('probes a large upload on the long lane, by its size, leaving the short lane to clips', async () => {
    const big = await env.db.media.create({ data: mediaRow(tenantId, 'uploaded') });
    const sized = new StartHandler(env.db, env.queues, 3, () => DEFAULT_MEDIA_POLICY, rebuilder, Number(big.sourceSizeBytes) - 1);
    const { jobId } = await sized.handle({ mediaId: big.id });
    expect(await state(QueueName.Long, jobIdOf('probe', jobId ?? ''))).toBe('prioritized');
    expect(await state(QueueName.Short, jobIdOf('probe', jobId ?? ''))).toBeUndefined();
    expect((await env.db.task.findFirstOrThrow({ where: { jobId, kind: 'probe' } })).lane).toBe('long');
  });

  it('resumes a re-driven job: failed tasks run again under a new generation, succeeded ones stay done', async () => {
    const { mediaId, jobId, tasks } = await plannedMedia({ done: 2, failed: 1, media: 'failed_retryable', job: 'failed' });
    // What the api's re-drive does: failed_retryable -> queued, then a start.
    await env.db.media.update({ where: { id: mediaId }, data: { state: 'queued' } });

    expect(await start.handle({ mediaId })).toEqual({ jobId, resumed: true });

    expect((await env.db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).toBe('processing');
    const job = await env.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ state: 'transcoding', generation: 1 });
    expect(await env.db.task.findUniqueOrThrow({ where: { id: tasks[2].id } })).toMatchObject({ state: 'queued', failureCode: null });
    expect(await state(QueueName.Short, workJobId(tasks[2].kind, tasks[2].id, 1))).toBe('waiting');
    expect(await state(QueueName.Short, workJobId(tasks[0].kind, tasks[0].id, 1))).toBeUndefined();
    expect(await env.db.job.count({ where: { mediaId } })).toBe(1);
    // A second start (a duplicate re-drive) changes nothing.
    await start.handle({ mediaId });
    expect((await env.db.job.findUniqueOrThrow({ where: { id: jobId } })).generation).toBe(1);
  });

  describe('AttemptWatchdog', () => {
    /** A worker that takes a job and then goes silent: it holds the lock and never heartbeats again. */
    async function silentlyTaken(attempts: number) {
      const { mediaId, jobId, tasks } = await plannedMedia({ done: 0 });
      const task = tasks[0];
      const queueJobId = jobIdOf('silent', task.id);
      // The long lane: the flows of the other tests fill the short one.
      await env.queues.queue(QueueName.Long).add(JobName.AudioTranscode, { taskId: task.id }, { jobId: queueJobId, attempts, backoff: { type: 'fixed', delay: 1 } });
      const connection = env.queues.redis.duplicate();
      const worker = new Worker(QueueName.Long, null, { connection, prefix: env.prefix, autorun: false, lockDuration: 600_000 });
      const gone = async () => {
        await worker.close(true);
        connection.disconnect();
      };
      const taken = await worker.getNextJob('silent-worker-token');
      if (taken?.id !== queueJobId) await gone();
      expect(taken?.id).toBe(queueJobId);
      const attemptId = randomUUID();
      const longAgo = new Date(Date.now() - 120_000);
      await env.db.attempt.create({ data: { id: attemptId, taskId: task.id, number: 1, workerId: 'silent', startedAt: longAgo, heartbeatAt: longAgo, queue: QueueName.Long, queueJobId } });
      await env.db.grant.create({ data: { jti: randomUUID(), mediaId, taskId: task.id, attemptId, workerId: 'silent', expiresAt: new Date(Date.now() + 600_000) } });
      return { mediaId, jobId, attemptId, queueJobId, gone };
    }

    it('marks a silent attempt stale, revokes its grant and hands its queue job to a new attempt', async () => {
      const { mediaId, attemptId, queueJobId, gone } = await silentlyTaken(3);
      try {
        const watchdog = new AttemptWatchdog(env.db, env.queues, { silenceMs: 30_000, batch: 50 });
        expect(await watchdog.run()).toMatchObject({ handedBack: 1 });
        expect(await env.db.attempt.findUniqueOrThrow({ where: { id: attemptId } })).toMatchObject({ state: 'stale', errorCode: 'heartbeat_lost' });
        expect((await env.db.grant.findFirstOrThrow({ where: { attemptId } })).revokedAt).not.toBeNull();
        expect(['waiting', 'delayed']).toContain(await state(QueueName.Long, queueJobId));
        const event = await env.db.event.findFirstOrThrow({ where: { mediaId, type: 'attempt_stale' } });
        expect(event).toMatchObject({ reason: 'heartbeat_lost', data: { attemptId, workerId: 'silent' } });
        // Judged once.
        expect((await watchdog.run()).handedBack).toBe(0);
      } finally {
        await gone();
      }
    });

    it('dead-letters the job when the silent attempt was its last try', async () => {
      const { queueJobId, gone } = await silentlyTaken(1);
      try {
        await new AttemptWatchdog(env.db, env.queues, { silenceMs: 30_000, batch: 50 }).run();
        expect(await state(QueueName.Long, queueJobId)).toBe('failed');
        expect(await state(QueueName.DeadLetter, `dl__${QueueName.Long}__${queueJobId}`)).toBeDefined();
        const entry = await env.queues.queue(QueueName.DeadLetter).getJob(`dl__${QueueName.Long}__${queueJobId}`);
        expect(entry?.data).toMatchObject({ reason: expect.stringMatching(/^heartbeat_lost/), ids: { taskId: expect.any(String) } });
      } finally {
        await gone();
      }
    });

    it('closes an attempt whose finished work never reached the record step once another attempt won', async () => {
      const { tasks } = await plannedMedia({ done: 1 });
      const old = new Date(Date.now() - 120_000);
      const lostId = randomUUID();
      await env.db.attempt.create({ data: { id: lostId, taskId: tasks[0].id, number: 2, workerId: 'killed', startedAt: old, heartbeatAt: old, finishedAt: old } });
      expect((await new AttemptWatchdog(env.db, env.queues, { silenceMs: 30_000, batch: 50 }).run()).unrecorded).toBe(1);
      expect(await env.db.attempt.findUniqueOrThrow({ where: { id: lostId } })).toMatchObject({ state: 'stale', errorCode: 'result_not_recorded' });
    });

    it('leaves attempts that heartbeat, and attempts already released, alone', async () => {
      const { tasks } = await plannedMedia({ done: 0 });
      const now = new Date();
      await env.db.attempt.create({ data: { id: randomUUID(), taskId: tasks[0].id, number: 1, workerId: 'alive', startedAt: now, heartbeatAt: now } });
      const old = new Date(Date.now() - 120_000);
      await env.db.attempt.create({ data: { id: randomUUID(), taskId: tasks[1].id, number: 1, workerId: 'done', startedAt: old, heartbeatAt: old, finishedAt: now } });
      const before = await env.db.attempt.count({ where: { state: 'stale' } });
      await new AttemptWatchdog(env.db, env.queues, { silenceMs: 30_000, batch: 50 }).run();
      expect(await env.db.attempt.count({ where: { state: 'stale' } })).toBe(before);
    });
  });
});

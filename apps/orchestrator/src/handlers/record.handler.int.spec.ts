import { createHash, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { StageSkipped, TaskReport, taskReportSchema } from '@airlock/contracts';
import { createPrismaClient, MediaState, PrismaClient } from '@airlock/db';
import { AUDIO_RENDITION } from '@airlock/domain';
import { JobContext, TerminalError } from '@airlock/queue';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { RecordHandler } from './record.handler';

/**
 * RecordHandler on a real Postgres schema: duplicate, stale and concurrent callbacks must count
 * each task once and move the job (and the media) out of transcoding exactly once.
 */

const RENDITIONS = ['360p', '720p'];
const SEGMENTS = 3;
/** 2 renditions x 3 segments of video + 1 audio task. */
const TASKS_TOTAL = RENDITIONS.length * SEGMENTS + 1;

interface SeededTask {
  readonly id: string;
  readonly kind: 'video' | 'audio';
  readonly rendition: string;
  readonly segmentIndex: number;
}

interface Seeded {
  readonly mediaId: string;
  readonly jobId: string;
  readonly tasks: readonly SeededTask[];
}

/**
 * The wrapped-key columns of a media (placeholders: these tests never open keys), written only
 * when the schema has them, so the seed follows the schema as it evolves.
 */
function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A worker's report for a task, valid per taskReportSchema. */
function reportFor(mediaId: string, task: SeededTask, attemptId: string = randomUUID(), attemptNumber = 1): TaskReport {
  const audio = task.kind === 'audio';
  const base = `media/${mediaId}/${task.rendition}`;
  return taskReportSchema.parse({
    taskId: task.id,
    attemptId,
    attemptNumber,
    workerId: `worker-${attemptNumber}`,
    encoderPath: audio ? 'cpu' : 'nvenc',
    encoderBuild: 'ffmpeg 7.1 test',
    startedAt: new Date(Date.now() - 4_000).toISOString(),
    finishedAt: new Date().toISOString(),
    stream: audio
      ? { rendition: task.rendition, type: 'audio', codecs: 'mp4a.40.2', bitrateKbps: 128, sampleRate: 48_000, channels: 2 }
      : { rendition: task.rendition, type: 'video', codecs: 'avc1.64001f', width: 640, height: 360, fps: { num: 30, den: 1 }, bitrateKbps: 800 },
    outputs: [
      {
        kind: 'media',
        rendition: task.rendition,
        segmentIndex: task.segmentIndex,
        key: `${base}/seg-${task.segmentIndex}.m4s`,
        sha256: sha(`${task.id}/${attemptId}`),
        sizeBytes: 123_456,
        timescale: 90_000,
        baseDecodeTime: task.segmentIndex * 360_000,
        duration: 360_000,
        sampleCount: 120,
      },
    ],
    cleanup: { pathsRemoved: 3, bytesRemoved: 1_000_000, tempDirGone: true, grantReleased: true },
  });
}

function contextOf(children: unknown[], failed: Record<string, string> = {}): JobContext {
  return {
    jobId: `record__${randomUUID()}`,
    queue: 'orchestrator',
    attempt: 1,
    maxAttempts: 5,
    childrenValues: async <T>() => children as T[],
    failedChildren: async () => failed,
  };
}

type RecordPayload = Parameters<RecordHandler['handle']>[0];

/**
 * A record job as BullMQ runs it: a non-terminal rejection is retried (the record job has 5
 * attempts), a TerminalError is final.
 */
async function deliver(handler: RecordHandler, payload: RecordPayload, report: TaskReport): Promise<TaskReport | StageSkipped> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await handler.handle(payload, contextOf([report]));
    } catch (e) {
      if (e instanceof TerminalError || attempt >= 5) throw e;
    }
  }
}

describe('RecordHandler on a real database', () => {
  let env: IntegrationEnv;
  let db: PrismaClient;
  const tenantId = `tenant-${randomUUID()}`;

  async function seed(mediaState: MediaState = 'processing'): Promise<Seeded> {
    const media = await db.media.create({ data: mediaRow(tenantId, mediaState) });
    const job = await db.job.create({ data: { mediaId: media.id, state: 'transcoding', lane: 'short', tasksTotal: TASKS_TOTAL } });
    const tasks: SeededTask[] = [
      { id: randomUUID(), kind: 'audio', rendition: AUDIO_RENDITION, segmentIndex: 0 },
      ...RENDITIONS.flatMap((rendition) =>
        Array.from({ length: SEGMENTS }, (_, segmentIndex) => ({ id: randomUUID(), kind: 'video' as const, rendition, segmentIndex })),
      ),
    ];
    await db.task.createMany({
      data: tasks.map((t, i) => ({ ...t, jobId: job.id, lane: 'short', state: i % 2 === 0 ? ('running' as const) : ('queued' as const) })),
    });
    return { mediaId: media.id, jobId: job.id, tasks };
  }

  async function verifyingEvents(mediaId: string) {
    return db.event.findMany({ where: { mediaId, toState: 'verifying' } });
  }

  beforeAll(async () => {
    env = await startIntegrationEnv('record-handler');
    db = env.db;
    await db.tenant.create({ data: { id: tenantId, name: 'Record handler tests', apiKeyHash: sha(tenantId) } });
  });

  afterAll(async () => {
    await env?.close();
  });

  it('counts every task once under duplicate and stale callbacks and moves the job exactly once', async () => {
    const { mediaId, jobId, tasks } = await seed();
    const handler = new RecordHandler(db);
    const reports = tasks.map((t) => reportFor(mediaId, t));

    // Every task's callback delivered twice, all at once (with BullMQ's retry of a rejected record job).
    const results = await Promise.all(reports.flatMap((report, i) => [1, 2].map(() => deliver(handler, { mediaId, jobId, taskId: tasks[i].id }, report))));
    expect(results).toHaveLength(2 * TASKS_TOTAL);
    results.forEach((result, i) => expect(result).toEqual(reports[Math.floor(i / 2)]));

    // A late report from another attempt of an already succeeded task: recorded as stale, and
    // the verifier is handed the winner's report, not the late one.
    const late = tasks[3];
    const stale = reportFor(mediaId, late, randomUUID(), 2);
    await expect(handler.handle({ mediaId, jobId, taskId: late.id }, contextOf([stale]))).resolves.toEqual(reports[3]);
    expect(await db.attempt.findUniqueOrThrow({ where: { id: stale.attemptId } })).toMatchObject({ state: 'stale', errorCode: 'newer_attempt_won', report: null });

    // A flow rebuilt from Postgres asks again without a work child: the stored winner answers.
    await expect(handler.handle({ mediaId, jobId, taskId: late.id }, contextOf([]))).resolves.toEqual(reports[3]);

    const job = await db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job.tasksSucceeded).toBe(TASKS_TOTAL);
    expect(job.state).toBe('packaging');
    expect((await db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).toBe('verifying');

    const events = await verifyingEvents(mediaId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ jobId, type: 'state_changed', fromState: 'processing', toState: 'verifying', reason: 'all_tasks_done' });

    const rows = await db.task.findMany({ where: { jobId } });
    expect(rows).toHaveLength(TASKS_TOTAL);
    for (const row of rows) {
      const report = reports[tasks.findIndex((t) => t.id === row.id)];
      expect(row).toMatchObject({ state: 'succeeded', winningAttemptId: report.attemptId });
    }
    const lateRow = rows.find((r) => r.id === late.id);
    expect(lateRow?.winningAttemptId).not.toBe(stale.attemptId);

    // One attempt row per distinct attempt: duplicates add nothing, the stale one is kept for the record.
    const attempts = await db.attempt.findMany({ where: { taskId: { in: tasks.map((t) => t.id) } } });
    expect(attempts).toHaveLength(TASKS_TOTAL + 1);
  });

  it('moves the job once when two orchestrator replicas race for the last task', async () => {
    const other = createPrismaClient({ databaseUrl: env.databaseUrl, schema: env.schema, poolSize: 4 });
    try {
      const replicas = [new RecordHandler(db), new RecordHandler(other)];
      for (let round = 0; round < 5; round++) {
        const { mediaId, jobId, tasks } = await seed();
        const [last, ...rest] = tasks;
        for (const task of rest) await replicas[0].handle({ mediaId, jobId, taskId: task.id }, contextOf([reportFor(mediaId, task)]));
        expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).state).toBe('transcoding');

        // The same record job redelivered to both replicas, and a retry attempt's report on top.
        const report = reportFor(mediaId, last);
        const retry = reportFor(mediaId, last, randomUUID(), 2);
        await Promise.all([
          deliver(replicas[0], { mediaId, jobId, taskId: last.id }, report),
          deliver(replicas[1], { mediaId, jobId, taskId: last.id }, report),
          deliver(replicas[1], { mediaId, jobId, taskId: last.id }, retry),
        ]);

        const job = await db.job.findUniqueOrThrow({ where: { id: jobId } });
        expect(job).toMatchObject({ state: 'packaging', tasksSucceeded: TASKS_TOTAL });
        expect((await db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).toBe('verifying');
        expect(await verifyingEvents(mediaId)).toHaveLength(1);
        const winner = (await db.task.findUniqueOrThrow({ where: { id: last.id } })).winningAttemptId;
        expect([report.attemptId, retry.attemptId]).toContain(winner);
      }
    } finally {
      await other.$disconnect();
    }
  });

  it('queues the early stage once, when the last of its tasks (the lowest rung and audio) is counted, whatever the order', async () => {
    const other = createPrismaClient({ databaseUrl: env.databaseUrl, schema: env.schema, poolSize: 4 });
    try {
      for (let round = 0; round < 3; round++) {
        const queued: string[] = [];
        const early = { queue: async (jobId: string) => void queued.push(jobId) };
        const replicas = [new RecordHandler(db, early), new RecordHandler(other, early)];
        const { mediaId, jobId, tasks } = await seed();
        // The flow builder names the early stage's renditions on its tasks' records (earlyRenditionsOf).
        const earlyStage = ['360p', AUDIO_RENDITION];
        const isEarly = (t: SeededTask) => earlyStage.includes(t.rendition);
        // A higher rung first: nothing yet.
        const higher = tasks.filter((t) => !isEarly(t));
        await replicas[0].handle({ mediaId, jobId, taskId: higher[0].id }, contextOf([reportFor(mediaId, higher[0])]));
        expect(queued).toEqual([]);
        // The early tasks on both replicas at once, each also redelivered: queued exactly once.
        await Promise.all(
          tasks.filter(isEarly).flatMap((t, i) => {
            const report = reportFor(mediaId, t);
            const payload = { mediaId, jobId, taskId: t.id, earlyStage };
            return [deliver(replicas[i % 2], payload, report), deliver(replicas[(i + 1) % 2], payload, report)];
          }),
        );
        expect(queued).toEqual([jobId]);
        // The rest of the ladder: still once.
        for (const t of higher.slice(1)) await replicas[1].handle({ mediaId, jobId, taskId: t.id }, contextOf([reportFor(mediaId, t)]));
        expect(queued).toEqual([jobId]);
        expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).state).toBe('packaging');
      }
    } finally {
      await other.$disconnect();
    }
  });

  it("records a segment group's reports one task at a time: counted once each, repeated deliveries change nothing", async () => {
    const { mediaId, jobId, tasks } = await seed();
    const handler = new RecordHandler(db);
    const group = tasks.filter((t) => t.kind === 'video' && t.segmentIndex === 0);
    const reports = group.map((t) => reportFor(mediaId, t));
    const payload = { mediaId, jobId, taskIds: group.map((t) => t.id) };
    for (let i = 0; i < 2; i++) {
      const answer = await handler.handleGroup(payload, contextOf([{ reports }]));
      expect('reports' in answer && answer.reports.map((r) => r.attemptId)).toEqual(reports.map((r) => r.attemptId));
    }
    expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).tasksSucceeded).toBe(group.length);
    for (const [i, t] of group.entries()) expect(await db.task.findUniqueOrThrow({ where: { id: t.id } })).toMatchObject({ state: 'succeeded', winningAttemptId: reports[i].attemptId });

    // Reports that are not the group's tasks': refused for good, nothing recorded.
    const other = tasks.filter((t) => t.kind === 'video' && t.segmentIndex === 1);
    await expect(handler.handleGroup({ mediaId, jobId, taskIds: other.map((t) => t.id) }, contextOf([{ reports: [reportFor(mediaId, other[0])] }]))).rejects.toMatchObject({ code: 'report_mismatch' });
    expect(await db.task.count({ where: { id: { in: other.map((t) => t.id) }, state: 'succeeded' } })).toBe(0);

    // The group's work failed for good: every task of it fails, and the media with them.
    await expect(handler.handleGroup({ mediaId, jobId, taskIds: other.map((t) => t.id) }, contextOf([], { k: 'ffmpeg exited 1' }))).rejects.toBeInstanceOf(TerminalError);
    expect(await db.task.count({ where: { id: { in: other.map((t) => t.id) }, state: 'failed' } })).toBe(other.length);
    expect((await db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).toMatch(/^failed_/);
  });

  // Concurrent deliveries of the same report, forced to interleave by holding the task row (the
  // attempts FK target) until every delivery is blocked in its insert: all must resolve as no-ops.
  it('treats concurrent duplicate callbacks of one attempt as no-ops, not errors', async () => {
    const { mediaId, jobId, tasks } = await seed();
    const handler = new RecordHandler(db);
    const task = tasks[2];
    const report = reportFor(mediaId, task);
    const deliveries = 3;

    const gate = new Client({ connectionString: env.databaseUrl });
    await gate.connect();
    try {
      await gate.query('BEGIN');
      await gate.query(`SELECT id FROM "${env.schema}".tasks WHERE id = $1 FOR UPDATE`, [task.id]);
      await gate.query('SELECT pg_stat_clear_snapshot()');
      const outcomes = Promise.allSettled(
        Array.from({ length: deliveries }, () => handler.handle({ mediaId, jobId, taskId: task.id }, contextOf([report]))),
      );
      // Deliveries waiting on the gate, directly or behind another delivery that waits on it.
      const blocked = async () => {
        const { rows } = await gate.query<{ n: number }>(
          `WITH RECURSIVE waiting(pid) AS (
             SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))
             UNION
             SELECT a.pid FROM pg_stat_activity a JOIN waiting w ON w.pid = ANY(pg_blocking_pids(a.pid))
           ) SELECT count(*)::int AS n FROM waiting`,
        );
        // Activity is snapshotted once per transaction: drop the snapshot for the next look.
        await gate.query('SELECT pg_stat_clear_snapshot()');
        return rows[0].n;
      };
      for (let waited = 0; (await blocked()) < deliveries; waited += 20) {
        if (waited > 10_000) throw new Error('the deliveries never reached their INSERT');
        await new Promise((r) => setTimeout(r, 20));
      }
      await gate.query('COMMIT');

      const settled = await outcomes;
      expect(settled.filter((o) => o.status === 'rejected')).toEqual([]);
      expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).tasksSucceeded).toBe(1);
    } finally {
      await gate.query('ROLLBACK').catch(() => undefined);
      await gate.end();
    }
  });

  it('fails the task, the job and the media when the work child failed for good', async () => {
    const { mediaId, jobId, tasks } = await seed();
    const handler = new RecordHandler(db);
    const task = tasks[1];

    const failing = handler.handle({ mediaId, jobId, taskId: task.id }, contextOf([], { [`t:short:transcode__${task.id}`]: 'boom' }));
    await expect(failing).rejects.toBeInstanceOf(TerminalError);
    await expect(failing).rejects.toMatchObject({ code: 'task_failed', message: `task_failed: task ${task.id} failed after all retries` });

    expect(await db.task.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({ state: 'failed', failureCode: 'task_failed' });
    expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).state).toBe('failed');
    expect(await db.media.findUniqueOrThrow({ where: { id: mediaId } })).toMatchObject({ state: 'failed_retryable', failureCode: 'task_failed' });
    expect(await db.event.findMany({ where: { mediaId, type: 'task_failed' } })).toEqual([
      expect.objectContaining({ jobId, reason: 'task_failed', data: { taskId: task.id, terminal: false } }),
    ]);

    // A success arriving for another task afterwards neither revives the job nor moves the media.
    const sibling = tasks[2];
    await handler.handle({ mediaId, jobId, taskId: sibling.id }, contextOf([reportFor(mediaId, sibling)]));
    expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).state).toBe('failed');
    expect((await db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).toBe('failed_retryable');
  });

  it('fails the media for good, with the reason code, when the input is broken (not retried on a re-drive)', async () => {
    const { mediaId, jobId, tasks } = await seed();
    const task = tasks[0];
    await expect(
      new RecordHandler(db).handle({ mediaId, jobId, taskId: task.id }, contextOf([], { k: 'unsupported_codec: prores is not supported' })),
    ).rejects.toBeInstanceOf(TerminalError);
    expect((await db.task.findUniqueOrThrow({ where: { id: task.id } })).failureCode).toBe('unsupported_codec');
    expect(await db.media.findUniqueOrThrow({ where: { id: mediaId } })).toMatchObject({ state: 'failed_terminal', failureCode: 'unsupported_codec' });
  });

  it('rejects a report for another task terminally and records nothing', async () => {
    const { mediaId, jobId, tasks } = await seed();
    const report = reportFor(mediaId, tasks[1]);
    await expect(new RecordHandler(db).handle({ mediaId, jobId, taskId: tasks[0].id }, contextOf([report]))).rejects.toMatchObject({
      code: 'report_mismatch',
    });
    expect(await db.attempt.findUnique({ where: { id: report.attemptId } })).toBeNull();
    expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).tasksSucceeded).toBe(0);
  });

  it('does not move a media that was deleted meanwhile to verifying', async () => {
    const { mediaId, jobId, tasks } = await seed();
    const handler = new RecordHandler(db);
    const [last, ...rest] = tasks;
    for (const task of rest) await handler.handle({ mediaId, jobId, taskId: task.id }, contextOf([reportFor(mediaId, task)]));
    await db.media.update({ where: { id: mediaId }, data: { state: 'deleted' } });

    await handler.handle({ mediaId, jobId, taskId: last.id }, contextOf([reportFor(mediaId, last)]));

    expect((await db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).toBe('deleted');
    expect(await verifyingEvents(mediaId)).toHaveLength(0);
    expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).tasksSucceeded).toBe(TASKS_TOTAL);
  });

  it('closes the attempt the grant exchange opened, with the report, once', async () => {
    const { mediaId, jobId, tasks } = await seed();
    const handler = new RecordHandler(db);
    const report = reportFor(mediaId, tasks[0]);
    await db.attempt.create({ data: { id: report.attemptId, taskId: tasks[0].id, number: 1, workerId: report.workerId, startedAt: new Date(report.startedAt), heartbeatAt: new Date() } });

    await deliver(handler, { mediaId, jobId, taskId: tasks[0].id }, report);
    await deliver(handler, { mediaId, jobId, taskId: tasks[0].id }, report);

    const row = await db.attempt.findUniqueOrThrow({ where: { id: report.attemptId } });
    expect(row).toMatchObject({ state: 'succeeded', encoderPath: report.encoderPath, encoderBuild: report.encoderBuild });
    expect(row.report).toEqual(JSON.parse(JSON.stringify(report)));
    expect(await db.attempt.count({ where: { taskId: tasks[0].id } })).toBe(1);
  });

  it('records a report for a task cancelled by a deletion as stale (task_cancelled) and counts nothing', async () => {
    const { mediaId, jobId, tasks } = await seed();
    await db.task.update({ where: { id: tasks[0].id }, data: { state: 'cancelled' } });
    const report = reportFor(mediaId, tasks[0]);

    await expect(new RecordHandler(db).handle({ mediaId, jobId, taskId: tasks[0].id }, contextOf([report]))).rejects.toThrow(/no recorded report/);

    expect(await db.attempt.findUniqueOrThrow({ where: { id: report.attemptId } })).toMatchObject({ state: 'stale', errorCode: 'task_cancelled' });
    expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).tasksSucceeded).toBe(0);
    expect(await db.event.count({ where: { mediaId, type: 'attempt_stale', reason: 'task_cancelled' } })).toBe(1);
  });

  it('asks for the work again when a rebuilt flow reaches a task that has no winner yet', async () => {
    const { mediaId, jobId, tasks } = await seed();
    await expect(new RecordHandler(db).handle({ mediaId, jobId, taskId: tasks[1].id }, contextOf([]))).rejects.toThrow(/no recorded report yet \(queued\)/);
  });
});

import { createHash, randomUUID } from 'node:crypto';
import { ManifestResult, MEDIA_FINISHED } from '@airlock/contracts';
import { MediaState, PrismaClient } from '@airlock/db';
import { PREVIEW_PROFILE, PROBE_RENDITION } from '@airlock/domain';
import { JobContext } from '@airlock/queue';
import { attemptRow, IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { buildProbe } from '../planning/probe.fixture';
import { FlowRebuilder } from '../recovery/flow-rebuilder';
import { PlanHandler } from './plan.handler';
import { PublishHandler } from './publish.handler';
import { RecordHandler } from './record.handler';

/**
 * Every attempt ends with an outcome, on a real Postgres schema: the probe's winner is recorded
 * like any task's when the planner consumes its result, and the move that finishes a media
 * (ready, failed, deleted) closes every attempt still running and cancels every task not done,
 * so nothing stays `running` after its media.
 */

function contextOf(children: unknown[], failed: Record<string, string> = {}): JobContext {
  return {
    jobId: `job__${randomUUID()}`,
    queue: 'orchestrator',
    attempt: 1,
    maxAttempts: 5,
    childrenValues: async <T>() => children as T[],
    failedChildren: async () => failed,
  };
}

describe('attempt outcomes on a real database', () => {
  let env: IntegrationEnv;
  let db: PrismaClient;
  const tenantId = `tenant-${randomUUID()}`;
  const planner = () => new PlanHandler(db, env.queues, { shortLaneMaxSec: 60, taskAttempts: 3 });

  /** A media whose probe is in flight: the job probing, its probe task running. */
  async function seedProbing() {
    const media = await db.media.create({ data: mediaRow(tenantId, 'queued') });
    const job = await db.job.create({ data: { mediaId: media.id, state: 'probing' } });
    const task = await db.task.create({ data: { jobId: job.id, kind: 'probe', segmentIndex: 0, rendition: PROBE_RENDITION, lane: 'short', state: 'running' } });
    return { mediaId: media.id, jobId: job.id, taskId: task.id };
  }

  /** A media whose ladder is done and verified, with a preview task still running (its attempt too). */
  async function seedVerifying(state: MediaState = 'verifying') {
    const media = await db.media.create({ data: mediaRow(tenantId, state) });
    const job = await db.job.create({ data: { mediaId: media.id, state: 'packaging', lane: 'short', tasksTotal: 1, tasksSucceeded: 1 } });
    const done = await db.task.create({ data: { jobId: job.id, kind: 'video', segmentIndex: 0, rendition: '240p', lane: 'short', state: 'succeeded' } });
    const preview = await db.task.create({ data: { jobId: job.id, kind: 'video', segmentIndex: 0, rendition: PREVIEW_PROFILE.name, lane: 'short', state: 'running' } });
    const straggler = await db.attempt.create({ data: attemptRow(preview.id) });
    return { mediaId: media.id, jobId: job.id, doneTaskId: done.id, previewTaskId: preview.id, stragglerId: straggler.id };
  }

  const running = (mediaId: string) => db.attempt.count({ where: { state: 'running', task: { job: { mediaId } } } });

  beforeAll(async () => {
    env = await startIntegrationEnv('attempt-outcomes');
    db = env.db;
    await db.tenant.create({ data: { id: tenantId, name: 'Attempt outcome tests', apiKeyHash: createHash('sha256').update(tenantId).digest('hex') } });
  });

  afterAll(async () => {
    await env?.close();
  });

  it("records the probe's winner: the attempt that answered is closed succeeded with its outcome when the planner consumes it", async () => {
    const { mediaId, jobId, taskId } = await seedProbing();
    // The first try's worker died mid-probe; the second answered and released its grant.
    const lost = await db.attempt.create({ data: attemptRow(taskId, { number: 1 }) });
    const winner = await db.attempt.create({ data: attemptRow(taskId, { number: 2, previousAttemptId: lost.id, released: true }) });

    await expect(planner().handle({ mediaId, jobId }, contextOf([{ ok: true, probe: buildProbe(4), attemptId: winner.id }]))).resolves.toEqual({ outcome: 'planned' });

    expect(await db.task.findUniqueOrThrow({ where: { id: taskId } })).toMatchObject({ state: 'succeeded', winningAttemptId: winner.id });
    // Closed with its outcome; it finished when it released, not when the planner ran.
    expect(await db.attempt.findUniqueOrThrow({ where: { id: winner.id } })).toMatchObject({ state: 'succeeded', report: { ok: true }, finishedAt: winner.finishedAt });
    // The lost try is the watchdog's to judge (its heartbeats stopped), not a winner.
    expect((await db.attempt.findUniqueOrThrow({ where: { id: lost.id } })).state).toBe('running');

    // The plan job delivered again changes nothing.
    await expect(planner().handle({ mediaId, jobId }, contextOf([{ ok: true, probe: buildProbe(4), attemptId: lost.id }]))).resolves.toEqual({ outcome: 'already_planned' });
    expect(await db.task.findUniqueOrThrow({ where: { id: taskId } })).toMatchObject({ state: 'succeeded', winningAttemptId: winner.id });
    expect((await db.attempt.findUniqueOrThrow({ where: { id: lost.id } })).state).toBe('running');
  });

  it('a refused source: the probe task and its attempt fail with the reason, the media fails for good, and no attempt of it stays running', async () => {
    const { mediaId, jobId, taskId } = await seedProbing();
    const answered = await db.attempt.create({ data: attemptRow(taskId, { released: true }) });
    // A second attempt of the same probe still running (its job was handed back while it worked on).
    const other = await db.attempt.create({ data: attemptRow(taskId, { number: 2 }) });

    await expect(planner().handle({ mediaId, jobId }, contextOf([{ ok: false, code: 'not_media', message: 'no streams', attemptId: answered.id }]))).resolves.toEqual({ outcome: 'not_media' });

    expect((await db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).toBe('failed_terminal');
    expect(await db.task.findUniqueOrThrow({ where: { id: taskId } })).toMatchObject({ state: 'failed', failureCode: 'not_media', winningAttemptId: null });
    expect(await db.attempt.findUniqueOrThrow({ where: { id: answered.id } })).toMatchObject({ state: 'failed', errorCode: 'not_media', finishedAt: answered.finishedAt });
    expect(await db.attempt.findUniqueOrThrow({ where: { id: other.id } })).toMatchObject({ state: 'stale', errorCode: 'media_failed_terminal', finishedAt: expect.any(Date) });
    expect(await running(mediaId)).toBe(0);
  });

  it('a probe that failed every try: the media fails (retryable), its probe task is cancelled and its attempts closed', async () => {
    const { mediaId, jobId, taskId } = await seedProbing();
    const hung = await db.attempt.create({ data: attemptRow(taskId) });

    await expect(planner().handle({ mediaId, jobId }, contextOf([], { 'probe__x': 'ffprobe timed out' }))).resolves.toEqual({ outcome: 'probe_failed' });

    expect((await db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).toBe('failed_retryable');
    expect((await db.task.findUniqueOrThrow({ where: { id: taskId } })).state).toBe('cancelled');
    expect(await db.attempt.findUniqueOrThrow({ where: { id: hung.id } })).toMatchObject({ state: 'stale', errorCode: 'media_failed_retryable' });
  });

  it('publishing closes every attempt still running and cancels every task not done; a late record of it is a no-op', async () => {
    const { mediaId, jobId, doneTaskId, previewTaskId, stragglerId } = await seedVerifying();
    const manifest: ManifestResult = { ok: true, version: jobId, hlsKey: `man/${mediaId}/${jobId}/master.m3u8`, dashKey: `man/${mediaId}/${jobId}/manifest.mpd`, outputs: [], renditions: ['240p'] };
    const publisher = new PublishHandler(db, env.store, new FlowRebuilder(db, env.queues, { taskAttempts: 3 }));

    await expect(publisher.handle({ mediaId, jobId }, contextOf([manifest]))).resolves.toEqual({ outcome: 'ready' });

    expect(await db.attempt.findUniqueOrThrow({ where: { id: stragglerId } })).toMatchObject({ state: 'stale', errorCode: 'media_ready', finishedAt: expect.any(Date) });
    expect((await db.task.findUniqueOrThrow({ where: { id: previewTaskId } })).state).toBe('cancelled');
    expect((await db.task.findUniqueOrThrow({ where: { id: doneTaskId } })).state).toBe('succeeded');
    expect(await running(mediaId)).toBe(0);

    // The preview task's work job was refused (its media is ready): its record step completes as
    // a no-op (no failure recorded, no throw, so no dead letter) and its verify skips.
    const events = await db.event.count({ where: { mediaId } });
    const record = new RecordHandler(db);
    await expect(record.handle({ mediaId, jobId, taskId: previewTaskId }, contextOf([], { 'work__x': 'media_not_processing: the media is ready' }))).resolves.toEqual({
      skipped: MEDIA_FINISHED,
      state: 'ready',
    });
    expect(await db.task.findUniqueOrThrow({ where: { id: previewTaskId } })).toMatchObject({ state: 'cancelled', failureCode: null });
    expect(await db.event.count({ where: { mediaId } })).toBe(events);
    expect((await db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).toBe('ready');
  });
});

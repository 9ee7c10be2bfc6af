import { randomBytes, randomUUID } from 'node:crypto';
import { Job } from 'bullmq';
import { JobName, PayloadOf } from '@airlock/contracts';
import { DeadLetter, QueueConnection } from './connection';
import { TerminalError } from './errors';
import { FlowNode } from './flow';
import { jobIdOf } from './job-options';
import { QueueName } from './queue-names';
import { HandlerMap, HostLogger, JobContext, WorkerHost } from './worker-host';
import { deleteKeysUnderPrefix } from '../test/redis-prefix';

/**
 * The flow contract the orchestrator depends on, on a real Redis: real FlowNodes of real job
 * names with valid payloads, consumed by real WorkerHosts (one per service) whose handlers
 * are scripted per test. Needs Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379).
 */

const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PREFIX = `t-queueflow_${randomBytes(4).toString('hex')}`;
const LANE = QueueName.Short;

interface Call {
  readonly name: JobName;
  /** The BullMQ job id (ctx.jobId). */
  readonly bullId: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly data: Record<string, unknown>;
  readonly childrenValues: unknown[];
  readonly failedChildren: Record<string, string>;
}

type Behaviour = (data: Record<string, unknown>, ctx: JobContext) => Promise<unknown>;
type Script = Partial<Record<JobName, Behaviour>>;

/** Default results: every stage returns what it got from its children, so values nest up the flow. */
const defaults: Record<JobName, Behaviour> = {
  [JobName.MediaStart]: async (d) => ({ started: d['mediaId'] }),
  [JobName.MediaProbe]: async (d) => ({ probed: d['taskId'] }),
  [JobName.MediaPlan]: async (_d, ctx) => ({ planned: await ctx.childrenValues() }),
  [JobName.SegmentTranscode]: async (d) => ({ kind: 'video', taskId: d['taskId'] }),
  [JobName.SegmentGroupTranscode]: async (d) => ({ kind: 'group', tasks: d['tasks'] }),
  [JobName.AudioTranscode]: async (d) => ({ kind: 'audio', taskId: d['taskId'] }),
  [JobName.FileTranscode]: async (d) => ({ kind: 'file', taskId: d['taskId'] }),
  [JobName.TaskRecord]: async (d, ctx) => ({ recorded: d['taskId'], report: (await ctx.childrenValues())[0] }),
  [JobName.TaskGroupRecord]: async (d, ctx) => ({ recorded: d['taskIds'], report: (await ctx.childrenValues())[0] }),
  [JobName.OutputsVerify]: async (_d, ctx) => ({
    verified: (await ctx.childrenValues<{ recorded: string }>()).sort((a, b) => a.recorded.localeCompare(b.recorded)),
  }),
  [JobName.ManifestWrite]: async (d, ctx) => ({ version: d['version'], verification: (await ctx.childrenValues())[0] }),
  [JobName.MediaPublish]: async (_d, ctx) => ({ published: (await ctx.childrenValues())[0] }),
  [JobName.PreviewPublish]: async (_d, ctx) => ({ previewed: (await ctx.childrenValues())[0] }),
  [JobName.EarlyPublish]: async (_d, ctx) => ({ early: (await ctx.childrenValues())[0] }),
  [JobName.SweepRun]: async () => ({ swept: true }),
};

const calls: Call[] = [];
/** Scripts keyed by the payload's domain jobId (or mediaId): each test owns its own ids. */
const scripts = new Map<string, Script>();

function scriptKey(data: Record<string, unknown>): string {
  return String(data['jobId'] ?? data['mediaId']);
}

function handler<N extends JobName>(name: N) {
  return async (payload: PayloadOf<N>, ctx: JobContext): Promise<unknown> => {
    const data = payload as unknown as Record<string, unknown>;
    calls.push({
      name,
      bullId: ctx.jobId,
      attempt: ctx.attempt,
      maxAttempts: ctx.maxAttempts,
      data,
      childrenValues: await ctx.childrenValues(),
      failedChildren: await ctx.failedChildren(),
    });
    const behaviour = scripts.get(scriptKey(data))?.[name] ?? defaults[name];
    return behaviour(data, ctx);
  };
}

function callsOf(name: JobName, bullId?: string): Call[] {
  return calls.filter((c) => c.name === name && (bullId === undefined || c.bullId === bullId));
}

const handlers = {
  orchestrator: {
    [JobName.MediaStart]: handler(JobName.MediaStart),
    [JobName.MediaPlan]: handler(JobName.MediaPlan),
    [JobName.TaskRecord]: handler(JobName.TaskRecord),
    [JobName.TaskGroupRecord]: handler(JobName.TaskGroupRecord),
    [JobName.MediaPublish]: handler(JobName.MediaPublish),
    [JobName.PreviewPublish]: handler(JobName.PreviewPublish),
    [JobName.EarlyPublish]: handler(JobName.EarlyPublish),
    [JobName.SweepRun]: handler(JobName.SweepRun),
  } satisfies HandlerMap<'orchestrator'>,
  gpuWorker: {
    [JobName.MediaProbe]: handler(JobName.MediaProbe),
    [JobName.SegmentTranscode]: handler(JobName.SegmentTranscode),
    [JobName.SegmentGroupTranscode]: handler(JobName.SegmentGroupTranscode),
    [JobName.AudioTranscode]: handler(JobName.AudioTranscode),
    [JobName.FileTranscode]: handler(JobName.FileTranscode),
  } satisfies HandlerMap<'gpu-worker'>,
  verifier: { [JobName.OutputsVerify]: handler(JobName.OutputsVerify) } satisfies HandlerMap<'verifier'>,
  manifester: { [JobName.ManifestWrite]: handler(JobName.ManifestWrite) } satisfies HandlerMap<'manifester'>,
};

const logs: { level: string; obj: object; msg: string }[] = [];
const logger: HostLogger = {
  info: (obj, msg) => logs.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
};

/** One media's processing flow with the production edges (see the orchestrator's media-flow builder). */
interface FlowIds {
  readonly mediaId: string;
  readonly jobId: string;
  readonly videoTaskId: string;
  readonly audioTaskId: string;
}

function newIds(): FlowIds {
  return { mediaId: randomUUID(), jobId: randomUUID(), videoTaskId: randomUUID(), audioTaskId: randomUUID() };
}

const bull = {
  publish: (ids: FlowIds) => jobIdOf('publish', ids.jobId),
  manifest: (ids: FlowIds) => jobIdOf('manifest', ids.jobId),
  verify: (ids: FlowIds) => jobIdOf('verify', ids.jobId),
  record: (taskId: string) => jobIdOf('record', taskId),
  transcode: (taskId: string) => jobIdOf('transcode', taskId),
  audio: (taskId: string) => jobIdOf('audio', taskId),
};

/** The Redis key BullMQ uses for a job, as reported by failedChildren(). */
function jobKey(queue: QueueName, bullId: string): string {
  return `${PREFIX}:${queue}:${bullId}`;
}

function mediaFlow(ids: FlowIds, workAttempts = 2): FlowNode {
  const { mediaId, jobId } = ids;
  const segment = { index: 0, startFrame: 0, frameCount: 120, startSec: 0, durationSec: 4, gopAligned: true };
  const video: FlowNode = {
    name: JobName.TaskRecord,
    queue: QueueName.Orchestrator,
    jobId: bull.record(ids.videoTaskId),
    data: { mediaId, jobId, taskId: ids.videoTaskId },
    onFailure: 'fail-parent',
    children: [
      {
        name: JobName.SegmentTranscode,
        queue: LANE,
        jobId: bull.transcode(ids.videoTaskId),
        data: {
          mediaId,
          jobId,
          taskId: ids.videoTaskId,
          sourceKey: `src/${mediaId}`,
          keyTtlSec: 600,
          fps: { num: 30, den: 1 },
          segment,
          rendition: { name: '360p', codec: 'h264', width: 640, height: 360, bitrateKbps: 800, hdr: false },
        },
        attempts: workAttempts,
        onFailure: 'report-to-parent',
      },
    ],
  };
  const audio: FlowNode = {
    name: JobName.TaskRecord,
    queue: QueueName.Orchestrator,
    jobId: bull.record(ids.audioTaskId),
    data: { mediaId, jobId, taskId: ids.audioTaskId },
    onFailure: 'fail-parent',
    children: [
      {
        name: JobName.AudioTranscode,
        queue: LANE,
        jobId: bull.audio(ids.audioTaskId),
        data: { mediaId, jobId, taskId: ids.audioTaskId, sourceKey: `src/${mediaId}`, durationSec: 4, keyTtlSec: 600 },
        attempts: workAttempts,
        onFailure: 'report-to-parent',
      },
    ],
  };
  return {
    name: JobName.MediaPublish,
    queue: QueueName.Orchestrator,
    jobId: bull.publish(ids),
    data: { mediaId, jobId },
    children: [
      {
        name: JobName.ManifestWrite,
        queue: QueueName.Manifest,
        jobId: bull.manifest(ids),
        data: { mediaId, jobId, version: jobId },
        onFailure: 'report-to-parent',
        children: [
          {
            name: JobName.OutputsVerify,
            queue: QueueName.Verify,
            jobId: bull.verify(ids),
            data: {
              mediaId,
              jobId,
              expected: { renditions: ['360p'], segments: [segment], audio: true, keyId: 'ab'.repeat(16) },
            },
            onFailure: 'fail-parent',
            children: [video, audio],
          },
        ],
      },
    ],
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('flows on real Redis (QueueConnection + WorkerHost)', () => {
  let connection: QueueConnection;
  let host: WorkerHost;

  async function finished(queue: QueueName, bullId: string): Promise<Job> {
    return waitFor(`${queue}/${bullId} to finish`, async () => {
      const job = await Job.fromId(connection.queue(queue), bullId);
      return job?.finishedOn ? job : undefined;
    });
  }

  async function deadLetterOf(queue: QueueName, bullId: string): Promise<DeadLetter> {
    const job = await waitFor(`dead letter of ${queue}/${bullId}`, async () =>
      Job.fromId<DeadLetter>(connection.queue(QueueName.DeadLetter), `dl__${queue}__${bullId}`),
    );
    return job.data;
  }

  async function hasDeadLetter(queue: QueueName, bullId: string): Promise<boolean> {
    return (await Job.fromId(connection.queue(QueueName.DeadLetter), `dl__${queue}__${bullId}`)) !== undefined;
  }

  beforeAll(async () => {
    connection = new QueueConnection({ redisUrl: REDIS_URL, prefix: PREFIX });
    expect(await connection.ping()).toBe(true);
    host = new WorkerHost(connection, logger);
    host.start('orchestrator', [QueueName.Orchestrator], handlers.orchestrator, { concurrency: 4 });
    host.start('gpu-worker', [LANE], handlers.gpuWorker, { concurrency: 4 });
    host.start('verifier', [QueueName.Verify], handlers.verifier, { concurrency: 2 });
    host.start('manifester', [QueueName.Manifest], handlers.manifester, { concurrency: 2 });
  });

  afterAll(async () => {
    await host?.close();
    if (connection) {
      await deleteKeysUnderPrefix(connection);
      await connection.close();
    }
  });

  it('passes every child return value up to its parent, stage by stage', async () => {
    const ids = newIds();
    await connection.addFlow(mediaFlow(ids));

    const publish = await finished(QueueName.Orchestrator, bull.publish(ids));
    expect(await publish.getState()).toBe('completed');

    const video = { kind: 'video', taskId: ids.videoTaskId };
    const audio = { kind: 'audio', taskId: ids.audioTaskId };
    const [videoRecord] = callsOf(JobName.TaskRecord, bull.record(ids.videoTaskId));
    const [audioRecord] = callsOf(JobName.TaskRecord, bull.record(ids.audioTaskId));
    expect(videoRecord.childrenValues).toEqual([video]);
    expect(audioRecord.childrenValues).toEqual([audio]);
    expect(videoRecord.failedChildren).toEqual({});

    const [verify] = callsOf(JobName.OutputsVerify, bull.verify(ids));
    expect(verify.childrenValues).toHaveLength(2);
    expect(verify.childrenValues).toEqual(
      expect.arrayContaining([
        { recorded: ids.videoTaskId, report: video },
        { recorded: ids.audioTaskId, report: audio },
      ]),
    );

    const verified = {
      verified: [
        { recorded: ids.videoTaskId, report: video },
        { recorded: ids.audioTaskId, report: audio },
      ].sort((a, b) => a.recorded.localeCompare(b.recorded)),
    };
    const [manifest] = callsOf(JobName.ManifestWrite, bull.manifest(ids));
    expect(manifest.childrenValues).toEqual([verified]);

    const [publishCall] = callsOf(JobName.MediaPublish, bull.publish(ids));
    const manifestValue = { version: ids.jobId, verification: verified };
    expect(publishCall.childrenValues).toEqual([manifestValue]);
    expect(publishCall.failedChildren).toEqual({});
    expect(publish.returnvalue).toEqual({ published: manifestValue });

    // Every stage ran exactly once, and nothing was dead-lettered.
    for (const name of [JobName.SegmentTranscode, JobName.AudioTranscode, JobName.OutputsVerify, JobName.ManifestWrite, JobName.MediaPublish]) {
      expect(calls.filter((c) => c.name === name && c.data['jobId'] === ids.jobId)).toHaveLength(1);
    }
    expect(await hasDeadLetter(QueueName.Orchestrator, bull.publish(ids))).toBe(false);
  });

  it('runs the record parent when its work child failed every attempt on a report-to-parent edge', async () => {
    const ids = newIds();
    scripts.set(ids.jobId, {
      [JobName.SegmentTranscode]: async (_d, ctx) => {
        throw new Error(`encoder crashed on attempt ${ctx.attempt}`);
      },
      [JobName.TaskRecord]: async (d, ctx) => {
        const failed = await ctx.failedChildren();
        return Object.keys(failed).length ? { failed: d['taskId'], reasons: Object.values(failed) } : { recorded: d['taskId'] };
      },
    });
    await connection.addFlow(mediaFlow(ids, 2));

    const publish = await finished(QueueName.Orchestrator, bull.publish(ids));
    expect(await publish.getState()).toBe('completed');

    // Retried (attempts: 2), then reported to the parent instead of failing it.
    const attempts = callsOf(JobName.SegmentTranscode, bull.transcode(ids.videoTaskId));
    expect(attempts.map((c) => [c.attempt, c.maxAttempts])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    const transcode = await finished(LANE, bull.transcode(ids.videoTaskId));
    expect(await transcode.getState()).toBe('failed');
    expect(transcode.attemptsMade).toBe(2);

    const records = callsOf(JobName.TaskRecord, bull.record(ids.videoTaskId));
    expect(records).toHaveLength(1);
    expect(records[0].childrenValues).toEqual([]);
    expect(records[0].failedChildren).toEqual({ [jobKey(LANE, bull.transcode(ids.videoTaskId))]: 'encoder crashed on attempt 2' });

    // The sibling task and the stages above were unaffected.
    const [verify] = callsOf(JobName.OutputsVerify, bull.verify(ids));
    expect(verify.childrenValues).toEqual(
      expect.arrayContaining([
        { failed: ids.videoTaskId, reasons: ['encoder crashed on attempt 2'] },
        { recorded: ids.audioTaskId },
      ]),
    );

    // The work job's final failure is dead-lettered with its reason and ids.
    expect(await deadLetterOf(LANE, bull.transcode(ids.videoTaskId))).toMatchObject({
      queue: LANE,
      name: JobName.SegmentTranscode,
      reason: 'encoder crashed on attempt 2',
      attemptsMade: 2,
      ids: { mediaId: ids.mediaId, jobId: ids.jobId, taskId: ids.videoTaskId },
    });
  });

  it('fails verify and manifest when a record fails on a fail-parent edge, and publish still runs and sees it', async () => {
    const ids = newIds();
    scripts.set(ids.jobId, {
      [JobName.TaskRecord]: async (d, ctx) => {
        if (d['taskId'] === ids.videoTaskId) throw new TerminalError('task_failed', `task ${String(d['taskId'])} failed`);
        return defaults[JobName.TaskRecord](d, ctx);
      },
      [JobName.MediaPublish]: async (_d, ctx) => ({ failed: await ctx.failedChildren() }),
    });
    await connection.addFlow(mediaFlow(ids));

    const publish = await finished(QueueName.Orchestrator, bull.publish(ids));
    expect(await publish.getState()).toBe('completed');

    const record = await finished(QueueName.Orchestrator, bull.record(ids.videoTaskId));
    expect(await record.getState()).toBe('failed');
    expect(record.failedReason).toBe(`task_failed: task ${ids.videoTaskId} failed`);
    expect(callsOf(JobName.TaskRecord, bull.record(ids.videoTaskId))).toHaveLength(1);

    // verify cannot run without its record: it fails, and so does manifest above it.
    const verify = await finished(QueueName.Verify, bull.verify(ids));
    expect(await verify.getState()).toBe('failed');
    expect(verify.failedReason).toContain(bull.record(ids.videoTaskId));
    const manifest = await finished(QueueName.Manifest, bull.manifest(ids));
    expect(await manifest.getState()).toBe('failed');
    expect(manifest.failedReason).toContain(bull.verify(ids));
    expect(callsOf(JobName.OutputsVerify, bull.verify(ids))).toHaveLength(0);
    expect(callsOf(JobName.ManifestWrite, bull.manifest(ids))).toHaveLength(0);

    // manifest -> publish is report-to-parent: publish runs once and reads the failure.
    const publishCalls = callsOf(JobName.MediaPublish, bull.publish(ids));
    expect(publishCalls).toHaveLength(1);
    expect(publishCalls[0].childrenValues).toEqual([]);
    expect(publishCalls[0].failedChildren).toEqual({ [jobKey(QueueName.Manifest, bull.manifest(ids))]: manifest.failedReason });
    expect(publish.returnvalue).toEqual({ failed: { [jobKey(QueueName.Manifest, bull.manifest(ids))]: manifest.failedReason } });

    // The record's terminal failure is dead-lettered with its reason.
    expect(await deadLetterOf(QueueName.Orchestrator, bull.record(ids.videoTaskId))).toMatchObject({
      name: JobName.TaskRecord,
      reason: `task_failed: task ${ids.videoTaskId} failed`,
      attemptsMade: 1,
      ids: { mediaId: ids.mediaId, jobId: ids.jobId, taskId: ids.videoTaskId },
    });
  });

  it('does not retry a TerminalError and dead-letters it with its reason', async () => {
    const mediaId = randomUUID();
    const jobId = randomUUID();
    const taskId = randomUUID();
    const bullId = jobIdOf('probe', jobId);
    scripts.set(jobId, {
      [JobName.MediaProbe]: async () => {
        throw new TerminalError('corrupt_input', 'moov atom not found');
      },
    });
    await connection.add(JobName.MediaProbe, { mediaId, jobId, taskId, sourceKey: `src/${mediaId}`, keyTtlSec: 600 }, { jobId: bullId });

    const job = await finished(QueueName.Short, bullId);
    expect(job.opts.attempts).toBe(3);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe('corrupt_input: moov atom not found');

    const letter = await deadLetterOf(QueueName.Short, bullId);
    expect(letter).toEqual({
      queue: QueueName.Short,
      name: JobName.MediaProbe,
      jobId: bullId,
      reason: 'corrupt_input: moov atom not found',
      attemptsMade: 1,
      ids: { mediaId, jobId, taskId },
      failedAt: expect.any(String),
    });
    // Give a (wrong) retry with the configured backoff time to show up before counting calls.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(callsOf(JobName.MediaProbe, bullId)).toHaveLength(1);
  });

  it('rejects a payload that fails validation terminally, without calling the handler, and dead-letters it', async () => {
    const bullId = jobIdOf('verify', randomUUID());
    await connection.queue(QueueName.Verify).add(JobName.OutputsVerify, { mediaId: 'not-a-uuid', expected: { renditions: 'all' } }, { jobId: bullId, attempts: 3 });

    const job = await finished(QueueName.Verify, bullId);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe('bad_payload: outputs.verify payload failed validation');
    expect(callsOf(JobName.OutputsVerify, bullId)).toHaveLength(0);

    expect(await deadLetterOf(QueueName.Verify, bullId)).toMatchObject({
      queue: QueueName.Verify,
      name: JobName.OutputsVerify,
      reason: 'bad_payload: outputs.verify payload failed validation',
      attemptsMade: 1,
      ids: { mediaId: 'not-a-uuid' },
    });
  });

  it('rejects a job its service has no handler for terminally and dead-letters it', async () => {
    const mediaId = randomUUID();
    const jobId = randomUUID();
    const bullId = jobIdOf('stray', jobId);
    await connection.queue(QueueName.Verify).add(JobName.ManifestWrite, { mediaId, jobId, version: jobId }, { jobId: bullId, attempts: 3 });

    const job = await finished(QueueName.Verify, bullId);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe('no_handler: verifier has no handler for manifest.write on verify');
    expect(callsOf(JobName.ManifestWrite, bullId)).toHaveLength(0);
    expect(await deadLetterOf(QueueName.Verify, bullId)).toMatchObject({ reason: job.failedReason, ids: { mediaId, jobId } });
  });

  it('refuses to boot a service whose handler map does not match its jobs', () => {
    const boot = new WorkerHost(connection, logger);
    const without = (map: object, name: JobName) => Object.fromEntries(Object.entries(map).filter(([k]) => k !== name));
    expect(() => boot.start('verifier', [QueueName.Verify], {} as HandlerMap<'verifier'>, { concurrency: 1 })).toThrow(
      'verifier handlers do not match its jobs: missing [outputs.verify] unknown []',
    );

    const noPublish = without(handlers.orchestrator, JobName.MediaPublish);
    expect(() => boot.start('orchestrator', [QueueName.Orchestrator], noPublish as unknown as HandlerMap<'orchestrator'>, { concurrency: 1 })).toThrow(
      'orchestrator handlers do not match its jobs: missing [media.publish] unknown []',
    );

    const extra = { ...handlers.manifester, [JobName.OutputsVerify]: handlers.verifier[JobName.OutputsVerify] };
    expect(() => boot.start('manifester', [QueueName.Manifest], extra as HandlerMap<'manifester'>, { concurrency: 1 })).toThrow(
      'manifester handlers do not match its jobs: missing [] unknown [outputs.verify]',
    );
    // Nothing was started, so there is nothing to close; the boot log never claims to consume.
    expect(logs.filter((l) => l.msg === 'consuming queues' && (l.obj as { service?: string }).service === 'verifier')).toHaveLength(1);
  });

  it('closes the Redis connections it opened when it is closed', async () => {
    const own = new QueueConnection({ redisUrl: REDIS_URL, prefix: PREFIX });
    const opened = jest.spyOn(own.redis, 'duplicate');
    const shortLived = new WorkerHost(own, logger);
    shortLived.start('verifier', [QueueName.Verify], handlers.verifier, { concurrency: 1 });
    const clients = opened.mock.results.map((r) => r.value as { status: string; disconnect(): void });
    try {
      await waitFor('the worker connection', async () => (clients.every((c) => c.status === 'ready') ? true : undefined));
      await shortLived.close();
      expect(clients.map((c) => c.status)).toEqual(['end']);
    } finally {
      for (const c of clients) c.disconnect();
      await own.close();
    }
  });
});

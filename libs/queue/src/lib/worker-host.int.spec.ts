import { randomBytes, randomUUID } from 'node:crypto';
import { Job } from 'bullmq';
import { JobName, PayloadOf } from '@airlock/contracts';
import { QueueConnection } from './connection';
import { jobIdOf } from './job-options';
import { QueueName } from './queue-names';
import { HandlerMap, HostLogger, JobContext, WorkerHost } from './worker-host';
import { deleteKeysUnderPrefix } from '../test/redis-prefix';

/**
 * Graceful shutdown on a real Redis: a job that finishes within the grace period completes on
 * the closing host; one that outlasts it is aborted and handed back untried, and another host
 * completes it. Needs Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379).
 */

const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** One prefix per test: a job one test leaves behind is never another's. */
const prefix = () => `t-queueshutdown_${randomBytes(4).toString('hex')}`;
const LANE = QueueName.Short;

type Audio = PayloadOf<typeof JobName.AudioTranscode>;
type Behaviour = (data: Audio, ctx: JobContext) => Promise<unknown>;

interface Run {
  readonly host: string;
  readonly taskId: string;
  readonly attempt: number;
}

const logs: { level: string; msg: string; obj: object }[] = [];
const logger: HostLogger = {
  info: (obj, msg) => logs.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
};

const idle = () => Promise.resolve(undefined);

/** A gpu-worker host whose audio handler runs `behaviour` and records every run as `name`. */
function workerHandlers(name: string, runs: Run[], behaviour: Behaviour): HandlerMap<'gpu-worker'> {
  return {
    [JobName.MediaProbe]: idle,
    [JobName.SegmentTranscode]: idle,
    [JobName.SegmentGroupTranscode]: idle,
    [JobName.FileTranscode]: idle,
    [JobName.AudioTranscode]: (data, ctx) => {
      runs.push({ host: name, taskId: data.taskId, attempt: ctx.attempt });
      return behaviour(data, ctx);
    },
  };
}

function audioPayload(): Audio {
  const mediaId = randomUUID();
  return { mediaId, jobId: randomUUID(), taskId: randomUUID(), sourceKey: `src/${mediaId}`, durationSec: 4, keyTtlSec: 600 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A run that lasts until `signal` fires, then fails, as the FFmpeg adapter does when it kills its process. */
function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (!signal) return;
    signal.addEventListener('abort', () => reject(new Error('ffmpeg killed: aborted')), { once: true });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('WorkerHost shutdown grace period', () => {
  let connection: QueueConnection;
  const hosts: WorkerHost[] = [];

  function host(): WorkerHost {
    const h = new WorkerHost(connection, logger);
    hosts.push(h);
    return h;
  }

  async function enqueue(): Promise<{ data: Audio; bullId: string }> {
    const data = audioPayload();
    const bullId = jobIdOf('audio', data.taskId);
    await connection.add(JobName.AudioTranscode, data, { jobId: bullId, lane: LANE });
    return { data, bullId };
  }

  const job = (bullId: string) => Job.fromId(connection.queue(LANE), bullId);

  beforeEach(async () => {
    connection = new QueueConnection({ redisUrl: REDIS_URL, prefix: prefix() });
    expect(await connection.ping()).toBe(true);
  });

  afterEach(async () => {
    // Whatever a failed test left running is handed back at once.
    await Promise.all(hosts.splice(0).map((h) => h.close(0)));
    await deleteKeysUnderPrefix(connection);
    await connection.close();
  });

  it('lets a job that finishes within the grace period complete on the closing host', async () => {
    const runs: Run[] = [];
    let sawAbort = false;
    const first = host();
    first.start('gpu-worker', [LANE], workerHandlers('first', runs, async (data, ctx) => {
      await sleep(400);
      sawAbort = ctx.shutdown?.aborted ?? true;
      return { done: data.taskId };
    }), { concurrency: 1 });
    const { data, bullId } = await enqueue();
    await waitFor('the first run', () => runs.find((r) => r.taskId === data.taskId));

    const closing = first.close(5000);
    // Closed hosts take no new work: this one waits for whoever runs next.
    const { data: later, bullId: laterId } = await enqueue();
    await closing;

    const done = await job(bullId);
    expect(await done?.getState()).toBe('completed');
    expect(done?.returnvalue).toEqual({ done: data.taskId });
    expect(done?.attemptsMade).toBe(1);
    expect(sawAbort).toBe(false);
    expect(runs.filter((r) => r.taskId === data.taskId)).toEqual([{ host: 'first', taskId: data.taskId, attempt: 1 }]);
    expect(runs.find((r) => r.taskId === later.taskId)).toBeUndefined();
    expect(await (await job(laterId))?.getState()).toBe('waiting');
  });

  it('aborts a job that outlasts the grace period and hands it back untried; another host completes it', async () => {
    const runs: Run[] = [];
    const first = host();
    first.start('gpu-worker', [LANE], workerHandlers('first', runs, (_data, ctx) => aborted(ctx.shutdown)), { concurrency: 1 });
    const { data, bullId } = await enqueue();
    await waitFor('the first run', () => runs.find((r) => r.taskId === data.taskId));

    const started = Date.now();
    await first.close(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(3000);

    const released = await job(bullId);
    expect(await released?.getState()).toBe('waiting');
    // Not a try: the work was cut short by the process leaving, not by its own failure.
    expect(released?.attemptsMade).toBe(0);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'job released to another worker', obj: expect.objectContaining({ reason: 'worker_shutdown', taskId: data.taskId }) }));
    expect(await connection.deadLetterDepth()).toBe(0);

    const second = host();
    second.start('gpu-worker', [LANE], workerHandlers('second', runs, async (d) => ({ done: d.taskId })), { concurrency: 1 });
    const done = await waitFor('completion by the second host', async () => {
      const j = await job(bullId);
      return (await j?.getState()) === 'completed' ? j : undefined;
    });
    expect(done?.returnvalue).toEqual({ done: data.taskId });
    expect(runs.filter((r) => r.taskId === data.taskId)).toEqual([
      { host: 'first', taskId: data.taskId, attempt: 1 },
      { host: 'second', taskId: data.taskId, attempt: 1 },
    ]);
  });

  it('hands back the job of a handler that ignores the abort once its unwind time is up', async () => {
    const runs: Run[] = [];
    const first = host();
    let finishLate: (() => void) | undefined;
    first.start('gpu-worker', [LANE], workerHandlers('first', runs, () => new Promise((resolve) => (finishLate = () => resolve({ late: true })))), { concurrency: 1 });
    const { data, bullId } = await enqueue();
    await waitFor('the first run', () => runs.find((r) => r.taskId === data.taskId));

    await first.close(100);
    const released = await job(bullId);
    expect(await released?.getState()).toBe('waiting');
    expect(released?.attemptsMade).toBe(0);
    // Its late result is nobody's: the job is no longer this host's.
    finishLate?.();
    await sleep(100);
    expect(await (await job(bullId))?.getState()).toBe('waiting');
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { Job, Worker } from 'bullmq';
import { JobName, PayloadOf } from '@airlock/contracts';
import { QueueConnection } from './connection';
import { jobIdOf, lockOptions } from './job-options';
import { QueueName } from './queue-names';
import { HostLogger, WorkerHost } from './worker-host';
import { deleteKeysUnderPrefix } from '../test/redis-prefix';

/**
 * A consumer killed mid-job on a real Redis: its job is taken up again by another consumer
 * within the queue's lock bound (lockOptions), not after BullMQ's 30 s default or the old 60 s.
 * Needs Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379).
 */

const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const silent: HostLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function verifyPayload(): PayloadOf<typeof JobName.OutputsVerify> {
  const segment = { index: 0, startFrame: 0, frameCount: 120, startSec: 0, durationSec: 4, gopAligned: true };
  return { mediaId: randomUUID(), jobId: randomUUID(), expected: { renditions: ['360p'], segments: [segment], audio: true, keyId: 'ab'.repeat(16) } };
}

describe('a killed consumer of a control queue', () => {
  let connection: QueueConnection;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    connection = new QueueConnection({ redisUrl: REDIS_URL, prefix: `t-lockrecovery_${randomBytes(4).toString('hex')}` });
    expect(await connection.ping()).toBe(true);
  });

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
    await deleteKeysUnderPrefix(connection);
    await connection.close();
  });

  it('bounds a verify job held by a dead verifier: lock 6 s, stalled check every 3 s', () => {
    expect(lockOptions(QueueName.Verify)).toEqual({ lockDuration: 6000, stalledInterval: 3000 });
    expect(lockOptions(QueueName.Manifest)).toEqual({ lockDuration: 6000, stalledInterval: 3000 });
    expect(lockOptions(QueueName.Orchestrator)).toEqual({ lockDuration: 6000, stalledInterval: 3000 });
    // Work lanes: the attempt watchdog is their bound; the lock is a backstop.
    expect(lockOptions(QueueName.Short)).toEqual({ lockDuration: 30_000, stalledInterval: 15_000 });
    // QUEUE_LOCK_MS overrides every queue.
    expect(lockOptions(QueueName.Verify, 4000)).toEqual({ lockDuration: 4000, stalledInterval: 2000 });
  });

  it('gives the job of a verifier killed mid-job to another verifier, which completes it', async () => {
    const data = verifyPayload();
    const bullId = jobIdOf('verify', data.jobId);
    await connection.add(JobName.OutputsVerify, data, { jobId: bullId });

    // The first verifier takes the job and dies with it: a forced close stops its lock renewals
    // and leaves the job active, as a SIGKILL does. It holds the lock the real consumer would.
    let taken: () => void = () => undefined;
    const tookIt = new Promise<void>((r) => (taken = r));
    const doomedClient = connection.redis.duplicate();
    const doomed = new Worker(
      QueueName.Verify,
      () => {
        taken();
        return new Promise(() => undefined);
      },
      { connection: doomedClient, prefix: connection.settings.prefix, ...lockOptions(QueueName.Verify), maxStalledCount: 20 },
    );
    await tookIt;
    await doomed.close(true);
    doomedClient.disconnect();
    const held = await Job.fromId(connection.queue(QueueName.Verify), bullId);
    expect(await held?.getState()).toBe('active');

    // A second verifier, the service's own consumer, finds it through the stalled check.
    const second = new WorkerHost(connection, silent);
    closers.push(() => second.close(0));
    const ran: string[] = [];
    second.start('verifier', [QueueName.Verify], {
      [JobName.OutputsVerify]: async (d) => {
        ran.push(d.jobId);
        return { verified: d.jobId };
      },
    }, { concurrency: 1 });

    // The bound is 9 s (lock 6 s + a stalled check every 3 s); 20 s is slack for a loaded machine,
    // and far under what the old 60 s lock took.
    const deadline = Date.now() + 20_000;
    let state: string | undefined;
    while (Date.now() < deadline && (state = await (await Job.fromId(connection.queue(QueueName.Verify), bullId))?.getState()) !== 'completed') await sleep(100);
    expect(state).toBe('completed');
    expect(ran).toEqual([data.jobId]);
    const done = await Job.fromId(connection.queue(QueueName.Verify), bullId);
    expect(done?.returnvalue).toEqual({ verified: data.jobId });
    expect(await connection.deadLetterDepth()).toBe(0);
  }, 30_000);
});

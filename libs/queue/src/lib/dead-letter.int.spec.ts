import { randomBytes, randomUUID } from 'node:crypto';
import { Job } from 'bullmq';
import { JobName, PayloadOf } from '@airlock/contracts';
import { QueueConnection } from './connection';
import { TerminalError } from './errors';
import { jobIdOf } from './job-options';
import { QueueName } from './queue-names';
import { HostLogger, WorkerHost } from './worker-host';
import { deleteKeysUnderPrefix } from '../test/redis-prefix';

/**
 * What reaches the dead-letter queue, on a real Redis: a job that failed for good does; one whose
 * work is no longer wanted (its media finished: `deadLetter: false`) fails without leaving one.
 * Needs Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379).
 */
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const silent: HostLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Audio = PayloadOf<typeof JobName.AudioTranscode>;

describe('dead letters', () => {
  let connection: QueueConnection;
  let host: WorkerHost;

  beforeEach(async () => {
    connection = new QueueConnection({ redisUrl: REDIS_URL, prefix: `t-deadletter_${randomBytes(4).toString('hex')}` });
    host = new WorkerHost(connection, silent);
  });

  afterEach(async () => {
    await host.close(0);
    await deleteKeysUnderPrefix(connection);
    await connection.close();
  });

  async function failedWith(error: (d: Audio) => Error): Promise<number> {
    const idle = () => Promise.resolve(undefined);
    host.start('gpu-worker', [QueueName.Short], {
      [JobName.MediaProbe]: idle,
      [JobName.SegmentTranscode]: idle,
      [JobName.SegmentGroupTranscode]: idle,
      [JobName.FileTranscode]: idle,
      [JobName.AudioTranscode]: (d) => Promise.reject(error(d)),
    }, { concurrency: 1 });
    const mediaId = randomUUID();
    const data: Audio = { mediaId, jobId: randomUUID(), taskId: randomUUID(), sourceKey: `src/${mediaId}`, durationSec: 4, keyTtlSec: 600 };
    const bullId = jobIdOf('audio', data.taskId);
    await connection.add(JobName.AudioTranscode, data, { jobId: bullId, lane: QueueName.Short });
    const deadline = Date.now() + 15_000;
    while ((await (await Job.fromId(connection.queue(QueueName.Short), bullId))?.getState()) !== 'failed') {
      if (Date.now() > deadline) throw new Error('the job did not fail');
      await sleep(50);
    }
    // The dead letter is written after the failure event: give it its moment.
    await sleep(300);
    return connection.deadLetterDepth();
  }

  it('keeps a job that failed for good for an operator', async () => {
    expect(await failedWith(() => new TerminalError('not_media', 'no streams'))).toBe(1);
  });

  it('leaves none for work no longer wanted (its media finished), failed without a retry all the same', async () => {
    expect(await failedWith(() => new TerminalError('media_not_processing', 'the media is ready', { deadLetter: false }))).toBe(0);
  });
});

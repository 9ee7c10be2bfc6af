import { FlowProducer, Job, Queue } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import IORedis, { Redis } from 'ioredis';
import { JobName, parsePayload, PayloadOf } from '@airlock/contracts';
import { FlowNode, toFlowJob } from './flow';
import { jobOptions } from './job-options';
import { LaneQueue, QueueName, queueFor } from './queue-names';

export interface QueueSettings {
  readonly redisUrl: string;
  /** Redis key prefix: one per deployment, one per test file. */
  readonly prefix: string;
}

export interface DeadLetter {
  readonly queue: string;
  readonly name: string;
  readonly jobId: string;
  readonly reason: string;
  readonly attemptsMade: number;
  readonly ids: Record<string, string>;
  readonly failedAt: string;
}

export interface WaitingStats {
  readonly count: number;
  /** Epoch ms when the oldest waiting job was added; undefined when none waits. */
  readonly oldestTimestamp?: number;
}

/** Producer side of the queues: add jobs and flows, inspect and remove them. */
export class QueueConnection {
  readonly redis: Redis;
  /** Trace context rides in each job's options, so one trace runs from the API request to publish. */
  readonly telemetry = new BullMQOtel({ tracerName: 'airlock.queue' });
  private readonly queues = new Map<QueueName, Queue>();
  private flows?: FlowProducer;

  constructor(readonly settings: QueueSettings) {
    // Workers need maxRetriesPerRequest: null (blocking commands); sharing it is safe for producers.
    this.redis = new IORedis(settings.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  }

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis, prefix: this.settings.prefix, telemetry: this.telemetry });
      this.queues.set(name, q);
    }
    return q;
  }

  async add<N extends JobName>(name: N, data: PayloadOf<N>, ids: { jobId: string; lane?: LaneQueue }): Promise<void> {
    parsePayload(name, data);
    await this.queue(queueFor(name, ids.lane)).add(name, data, jobOptions(name, { jobId: ids.jobId }));
  }

  async addFlow(root: FlowNode): Promise<void> {
    this.flows ??= new FlowProducer({ connection: this.redis, prefix: this.settings.prefix, telemetry: this.telemetry });
    await this.flows.add(toFlowJob(root));
  }

  /** A repeating job (one schedule per id, however many replicas upsert it). */
  async schedule<N extends JobName>(id: string, name: N, data: PayloadOf<N>, everyMs: number): Promise<void> {
    parsePayload(name, data);
    await this.queue(queueFor(name)).upsertJobScheduler(id, { every: everyMs }, { name, data, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } });
  }

  /** A job that failed for good goes to the dead-letter queue with its reason and the ids in its data. */
  async deadLetterJob(job: Job, reason: string): Promise<void> {
    await this.deadLetter({
      queue: job.queueName,
      name: job.name,
      jobId: job.id ?? '',
      reason,
      attemptsMade: job.attemptsMade,
      ids: idsOf(job.data),
      failedAt: new Date().toISOString(),
    });
  }

  async deadLetter(entry: DeadLetter): Promise<void> {
    await this.queue(QueueName.DeadLetter).add('dead-letter', entry, {
      jobId: `dl__${entry.queue}__${entry.jobId}`,
      removeOnComplete: false,
      removeOnFail: false,
    });
  }

  /**
   * Take a running job away from a worker that went silent: fail it with the lock it holds, so
   * it is retried under its own backoff (or dead-lettered when it was the last try) without
   * waiting for BullMQ's stalled check. Returns what happened.
   */
  async handBack(queue: QueueName, jobId: string, reason: string): Promise<'handed_back' | 'dead_lettered' | 'not_running'> {
    const q = this.queue(queue);
    const token = await this.redis.get(`${q.toKey(jobId)}:lock`);
    const job = token ? await Job.fromId(q, jobId) : undefined;
    if (!token || !job) return 'not_running';
    try {
      await job.moveToFailed(new Error(reason), token, false);
    } catch {
      // The lock changed hands between the read and the move: the job is no longer that attempt's.
      return 'not_running';
    }
    if (job.attemptsMade < (job.opts.attempts ?? 1)) return 'handed_back';
    await this.deadLetterJob(job, reason);
    return 'dead_lettered';
  }

  /**
   * Whether a job is still able to run or has run: false when it is missing, failed, or only a
   * fragment (a hash Redis lost and a late script recreated in part, with no name).
   */
  async isAlive(queue: QueueName, jobId: string): Promise<boolean> {
    const job = await Job.fromId(this.queue(queue), jobId);
    if (!job?.name) return false;
    const state = await job.getState();
    return state !== 'failed' && state !== 'unknown';
  }

  async jobState(queue: QueueName, jobId: string): Promise<string | undefined> {
    const job = await Job.fromId(this.queue(queue), jobId);
    return job ? await job.getState() : undefined;
  }

  /**
   * How much work sits in a queue (waiting plus prioritized: lanes use priorities) and when
   * the oldest of it was added. Prioritized jobs are ordered by priority, so only the first
   * 100 are looked at for the oldest: a bounded read on every scrape.
   */
  async waitingStats(queue: QueueName): Promise<WaitingStats> {
    const q = this.queue(queue);
    const counts = await q.getJobCounts('waiting', 'prioritized');
    const [oldestWaiting] = await q.getJobs(['waiting'], 0, 0, true);
    const prioritized = await q.getJobs(['prioritized'], 0, 99, true);
    const stamps = [oldestWaiting, ...prioritized].filter((j): j is Job => !!j).map((j) => j.timestamp);
    return { count: (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0), oldestTimestamp: stamps.length ? Math.min(...stamps) : undefined };
  }

  /** A dead letter by its id in the dead-letter queue (`dl__<queue>__<job id>`); undefined when there is none. */
  async deadLetterEntry(id: string): Promise<DeadLetter | undefined> {
    const job = await Job.fromId<DeadLetter>(this.queue(QueueName.DeadLetter), id);
    return job?.name ? job.data : undefined;
  }

  /** Drop a dead letter once it was dealt with (re-driven). True when it was there. */
  async removeDeadLetter(id: string): Promise<boolean> {
    return (await this.queue(QueueName.DeadLetter).remove(id)) === 1;
  }

  /** Final failures recorded and not yet re-driven or removed. */
  async deadLetterDepth(): Promise<number> {
    return this.queue(QueueName.DeadLetter).count();
  }

  async ping(): Promise<boolean> {
    return (await this.redis.ping().catch(() => 'down')) === 'PONG';
  }

  allQueues(): Queue[] {
    return Object.values(QueueName).map((n) => this.queue(n));
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.flows?.close();
    this.redis.disconnect();
  }
}

/** The domain ids a job's data carries (for logs and dead letters; never content). */
export function idsOf(data: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (data && typeof data === 'object') {
    for (const k of ['mediaId', 'jobId', 'taskId'] as const) {
      const v = (data as Record<string, unknown>)[k];
      if (typeof v === 'string') out[k] = v;
    }
  }
  return out;
}

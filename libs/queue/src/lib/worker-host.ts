import { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobName, parsePayload, PayloadOf } from '@airlock/contracts';
import { jobDurationSeconds, jobFailuresTotal, jobRetriesTotal, queueWaitSeconds, reasonCode } from '@airlock/telemetry';
import { idsOf, QueueConnection } from './connection';
import { TerminalError } from './errors';
import { JobsOf, QueueName, SERVICE_JOBS, ServiceName } from './queue-names';

export interface JobContext {
  readonly jobId: string;
  readonly queue: string;
  /** 1 for the first try. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Return values of completed children (the flow's results flow upwards). */
  childrenValues<T = unknown>(): Promise<T[]>;
  /** Children that finally failed on a 'report-to-parent' edge: job key -> reason. */
  failedChildren(): Promise<Record<string, string>>;
}

export type Handler<N extends JobName> = (data: PayloadOf<N>, ctx: JobContext) => Promise<unknown>;
export type HandlerMap<S extends ServiceName> = { [N in JobsOf<S>]: Handler<N> };

export interface HostLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface HostOptions {
  readonly concurrency: number;
  /** How long a job's lock lives without renewal; renewed while the event loop is free. */
  readonly lockDurationMs?: number;
}

/** Times a job may come back from a vanished worker before BullMQ fails it. */
const MAX_STALLS = 20;

function contextOf(job: Job): JobContext {
  return {
    jobId: job.id ?? '',
    queue: job.queueName,
    attempt: job.attemptsMade + 1,
    maxAttempts: job.opts.attempts ?? 1,
    childrenValues: async <T>() => Object.values(await job.getChildrenValues()) as T[],
    failedChildren: () => job.getIgnoredChildrenFailures(),
  };
}

/** Consumer side: binds a service's handlers to queues, validates payloads, dead-letters final failures. */
export class WorkerHost {
  private readonly workers: Worker[] = [];
  /** BullMQ treats a passed-in client as shared and never quits it: this host owns and closes them. */
  private readonly clients: Redis[] = [];

  constructor(
    private readonly connection: QueueConnection,
    private readonly logger: HostLogger,
  ) {}

  start<S extends ServiceName>(service: S, queues: readonly QueueName[], handlers: HandlerMap<S>, options: HostOptions): void {
    assertHandlers(service, handlers);
    const table = handlers as unknown as Record<string, Handler<JobName>>;
    for (const queue of queues) {
      const client = this.connection.redis.duplicate();
      this.clients.push(client);
      const worker = new Worker(
        queue,
        async (job: Job) => {
          const labels = { queue, job: jobLabel(job.name) };
          // A parent job's timestamp is when its flow was added: its wait includes its children's run.
          // A job hash Redis lost and a late script recreated in part has no timestamp (and no name: it fails as no_handler).
          if (Number.isFinite(job.timestamp)) queueWaitSeconds.observe(labels, Math.max(0, ((job.processedOn ?? Date.now()) - job.timestamp) / 1000));
          if (job.attemptsMade > 0) jobRetriesTotal.inc(labels);
          const timer = jobDurationSeconds.startTimer(labels);
          try {
            const value = await this.run(service, queue, table, job);
            timer({ outcome: 'completed' });
            return value;
          } catch (e) {
            timer({ outcome: 'failed' });
            throw e;
          }
        },
        {
          connection: client,
          prefix: this.connection.settings.prefix,
          telemetry: this.connection.telemetry,
          concurrency: options.concurrency,
          lockDuration: options.lockDurationMs ?? 60_000,
          // BullMQ's own stalled check stays on: a vanished worker's job comes back.
          stalledInterval: Math.max(1000, Math.floor((options.lockDurationMs ?? 60_000) / 2)),
          // A stall is a worker that died or froze, not a verdict on the job: tries are bounded by
          // the job's attempts and the attempt watchdog. At BullMQ's low default, a task whose
          // workers were killed three times failed for good (the chaos suite found it under load).
          maxStalledCount: MAX_STALLS,
        },
      );
      worker.on('failed', (job, err) => void this.onFailed(job, err));
      worker.on('error', (err) => this.logger.error({ queue, err: err.message }, 'worker error'));
      this.workers.push(worker);
    }
    this.logger.info({ service, queues }, 'consuming queues');
  }

  private async run(service: ServiceName, queue: QueueName, table: Record<string, Handler<JobName>>, job: Job): Promise<unknown> {
    const handler = table[job.name];
    if (!handler) throw new TerminalError('no_handler', `${service} has no handler for ${job.name} on ${queue}`);
    let data: PayloadOf<JobName>;
    try {
      data = parsePayload(job.name as JobName, job.data);
    } catch {
      throw new TerminalError('bad_payload', `${job.name} payload failed validation`);
    }
    return handler(data, contextOf(job));
  }

  private async onFailed(job: Job | undefined, err: Error): Promise<void> {
    if (!job) return;
    const final = err instanceof TerminalError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    jobFailuresTotal.inc({ queue: job.queueName, job: jobLabel(job.name), reason: reasonCode(err), final: String(final) });
    const ids = idsOf(job.data);
    this.logger.warn({ queue: job.queueName, job: job.name, jobId: job.id, attempt: job.attemptsMade, final, reason: err.message, ...ids }, 'job failed');
    if (!final) return;
    await this.connection
      .deadLetterJob(job, err.message)
      .catch((e: Error) => this.logger.error({ err: e.message }, 'dead-letter write failed'));
  }

  /** Stop taking new jobs; running ones finish (graceful shutdown). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    // Workers are closed, so nothing waits on these any more; resolve once each has ended.
    await Promise.all(
      this.clients.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.status === 'end') return resolve();
            c.once('end', () => resolve());
            c.disconnect();
          }),
      ),
    );
  }
}

const KNOWN_JOBS = new Set<string>(Object.values(JobName));

/** Job names are a closed set; anything else (a stray producer) is counted as 'unknown'. */
function jobLabel(name: string): string {
  return KNOWN_JOBS.has(name) ? name : 'unknown';
}

/** Boot fails on a missing or unknown handler (never discovered at 3 a.m. by a stuck job). */
export function assertHandlers(service: ServiceName, handlers: object): void {
  const expected = new Set<string>(SERVICE_JOBS[service]);
  const given = Object.entries(handlers).filter(([, h]) => typeof h === 'function').map(([k]) => k);
  const missing = [...expected].filter((n) => !given.includes(n));
  const unknown = given.filter((n) => !expected.has(n));
  if (missing.length || unknown.length) {
    throw new Error(`${service} handlers do not match its jobs: missing [${missing.join(', ')}] unknown [${unknown.join(', ')}]`);
  }
}

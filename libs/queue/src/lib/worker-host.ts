import { DelayedError, Job, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobName, parsePayload, PayloadOf } from '@airlock/contracts';
import { jobDurationSeconds, jobFailuresTotal, jobRetriesTotal, queueWaitSeconds, reasonCode } from '@airlock/telemetry';
import { idsOf, QueueConnection } from './connection';
import { HandBackError, TerminalError } from './errors';
import { lockOptions } from './job-options';
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
  /**
   * Fires when the process is shutting down and the grace period ran out: stop the work (kill
   * processes, release what the attempt holds) and throw. The host then hands the job back to
   * the queue without counting a try.
   */
  readonly shutdown?: AbortSignal;
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
  /** How long a job's lock lives without renewal, for every queue; unset: each queue's own (lockOptions). */
  readonly lockDurationMs?: number;
}

/** Times a job may come back from a vanished worker before BullMQ fails it. */
const MAX_STALLS = 20;

/**
 * After the grace period, how long an aborted handler gets to unwind (kill FFmpeg, wipe its
 * directory, release its grant) before the host hands its job back regardless.
 */
const UNWIND_MS = 3000;

function contextOf(job: Job, shutdown: AbortSignal): JobContext {
  return {
    jobId: job.id ?? '',
    queue: job.queueName,
    attempt: job.attemptsMade + 1,
    maxAttempts: job.opts.attempts ?? 1,
    childrenValues: async <T>() => Object.values(await job.getChildrenValues()) as T[],
    failedChildren: () => job.getIgnoredChildrenFailures(),
    shutdown,
  };
}

const isFinal = (e: unknown) => e instanceof TerminalError || (e instanceof Error && e.name === 'UnrecoverableError');

/** The work's own outcome, or a rejection once `signal` fired and the work did not settle within `unwindMs`. */
function unlessAbandoned<T>(work: Promise<T>, signal: AbortSignal, unwindMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => reject(new Error('worker_shutdown: the handler did not unwind in time')), unwindMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

/** Consumer side: binds a service's handlers to queues, validates payloads, dead-letters final failures. */
export class WorkerHost {
  private readonly workers: Worker[] = [];
  /** BullMQ treats a passed-in client as shared and never quits it: this host owns and closes them. */
  private readonly clients: Redis[] = [];
  /** Aborted when the shutdown grace period runs out: running handlers stop and their jobs go back to the queue. */
  private readonly shutdown = new AbortController();
  private standingDown = false;

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
        async (job: Job, token?: string) => {
          const labels = { queue, job: jobLabel(job.name) };
          // A parent job's timestamp is when its flow was added: its wait includes its children's run.
          // A job hash Redis lost and a late script recreated in part has no timestamp (and no name: it fails as no_handler).
          if (Number.isFinite(job.timestamp)) queueWaitSeconds.observe(labels, Math.max(0, ((job.processedOn ?? Date.now()) - job.timestamp) / 1000));
          if (job.attemptsMade > 0) jobRetriesTotal.inc(labels);
          const timer = jobDurationSeconds.startTimer(labels);
          try {
            const value = await unlessAbandoned(this.run(service, queue, table, job), this.shutdown.signal, UNWIND_MS);
            timer({ outcome: 'completed' });
            return value;
          } catch (e) {
            if (e instanceof HandBackError && token) {
              timer({ outcome: 'released' });
              if (e.options.standDownMs) this.standDown(e.options.standDownMs, e.code);
              return this.release(job, token, e, e.code, e.options.delayMs);
            }
            if (this.shutdown.signal.aborted && !isFinal(e) && token) {
              timer({ outcome: 'released' });
              return this.release(job, token, e, 'worker_shutdown');
            }
            timer({ outcome: 'failed' });
            throw e;
          }
        },
        {
          connection: client,
          prefix: this.connection.settings.prefix,
          telemetry: this.connection.telemetry,
          concurrency: options.concurrency,
          // BullMQ's own stalled check stays on: a vanished consumer's job comes back within a bound.
          ...lockOptions(queue, options.lockDurationMs),
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
    return handler(data, contextOf(job, this.shutdown.signal));
  }

  /**
   * The job goes back to the queue under its lock, not counted as a try: shutdown cut it short
   * (the work was sound, the process was leaving), or the handler handed it back (this worker
   * must not do it). Another worker takes it at once (or after `delayMs`), unlike a forced
   * close, which would leave it locked until BullMQ's stalled check.
   */
  private async release(job: Job, token: string, cause: unknown, reason: string, delayMs = 0): Promise<never> {
    const ids = idsOf(job.data);
    try {
      if (delayMs > 0) await job.moveToDelayed(Date.now() + delayMs, token);
      else await job.moveToWait(token);
    } catch (e) {
      // The lock is gone (the watchdog took the job back first): nothing of ours to release.
      this.logger.warn({ queue: job.queueName, job: job.name, jobId: job.id, err: (e as Error).message, reason, ...ids }, 'release failed');
      throw cause;
    }
    this.logger.warn({ queue: job.queueName, job: job.name, jobId: job.id, attempt: job.attemptsMade + 1, reason, ...ids }, 'job released to another worker');
    // BullMQ's signal that the processor moved the job itself: no failure, no retry counted.
    throw delayMs > 0 ? new DelayedError(reason) : new WaitingError(reason);
  }

  /**
   * Take no jobs for a while (this worker was told it must not work, e.g. quarantined), then
   * ask again: the next refusal stands it down again, an operator's clearance lets it work.
   */
  private standDown(ms: number, reason: string): void {
    if (this.standingDown) return;
    this.standingDown = true;
    this.logger.warn({ reason, seconds: ms / 1000 }, 'standing down: taking no jobs');
    for (const w of this.workers) w.pause(true).catch(() => undefined);
    setTimeout(() => {
      this.standingDown = false;
      if (this.shutdown.signal.aborted) return;
      for (const w of this.workers) if (!w.closing) void w.resume();
    }, ms).unref();
  }

  private async onFailed(job: Job | undefined, err: Error): Promise<void> {
    if (!job) return;
    const final = err instanceof TerminalError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    jobFailuresTotal.inc({ queue: job.queueName, job: jobLabel(job.name), reason: reasonCode(err), final: String(final) });
    const ids = idsOf(job.data);
    this.logger.warn({ queue: job.queueName, job: job.name, jobId: job.id, attempt: job.attemptsMade, final, reason: err.message, ...causeOf(err), ...ids }, 'job failed');
    // Work no longer wanted (its media finished) is nothing for an operator to review.
    if (!final || (err instanceof TerminalError && err.options.deadLetter === false)) return;
    await this.connection
      .deadLetterJob(job, err.message)
      .catch((e: Error) => this.logger.error({ err: e.message }, 'dead-letter write failed'));
  }

  /**
   * Graceful shutdown: stop taking new jobs at once; running ones that finish within `graceMs`
   * complete normally. After that their handlers are aborted (JobContext.shutdown) and their
   * jobs handed back to the queue for another worker, without counting a try.
   */
  async close(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    const closed = Promise.all(this.workers.map((w) => w.close())).then(() => 'closed' as const);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = Number.isFinite(graceMs) ? new Promise<'grace_over'>((resolve) => (timer = setTimeout(() => resolve('grace_over'), graceMs))) : new Promise<never>(() => undefined);
    const first = await Promise.race([closed, graceOver]);
    clearTimeout(timer);
    if (first === 'grace_over') {
      this.logger.warn({ graceMs }, 'shutdown grace period over: aborting running jobs and handing them back');
      this.shutdown.abort(new Error('worker_shutdown'));
      await closed;
    }
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

/** What lies under a wrapped error ("fetch failed" says nothing without its cause): its code and message. */
function causeOf(err: Error): { cause?: string } {
  const cause = (err as { cause?: unknown }).cause;
  if (!(cause instanceof Error)) return {};
  const code = (cause as { code?: unknown }).code;
  return { cause: typeof code === 'string' ? `${code}: ${cause.message}` : cause.message };
}

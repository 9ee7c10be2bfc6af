import type { JobsOptions } from 'bullmq';
import { JobName } from '@airlock/contracts';
import { QueueName } from './queue-names';

/**
 * The one place attempts, backoff, retention and job ids are decided.
 * Job ids are derived from domain ids, so re-adding the same work is a no-op.
 */
export interface JobOptionsInput {
  readonly jobId: string;
  readonly attempts?: number;
  /** BullMQ priority (1 first, 2^21 last); none: taken before every prioritized job of its queue. */
  readonly priority?: number;
}

const WORKER_JOBS: ReadonlySet<JobName> = new Set([JobName.MediaProbe, JobName.SegmentTranscode, JobName.SegmentGroupTranscode, JobName.AudioTranscode, JobName.FileTranscode]);

export function jobOptions(name: JobName, input: JobOptionsInput): JobsOptions {
  const worker = WORKER_JOBS.has(name);
  return {
    jobId: input.jobId,
    attempts: input.attempts ?? (worker ? 3 : 5),
    // A worker's try fails mostly because its worker died (the watchdog hands the job back): the
    // next try waits 1 s, then 2 s, so a task is running again within 10 s of the death.
    backoff: { type: 'exponential', delay: worker ? 1000 : 500 },
    // Keep finished jobs for a day for Bull Board; counts bound memory under load.
    removeOnComplete: { age: 24 * 3600, count: 10000 },
    removeOnFail: { age: 7 * 24 * 3600 },
    ...(input.priority === undefined ? {} : { priority: input.priority }),
  };
}

/** How a consumer holds its jobs: how long a lock lives without renewal, and how often stalled jobs are looked for. */
export interface LockOptions {
  readonly lockDuration: number;
  readonly stalledInterval: number;
}

/** The queues whose jobs are attempts with heartbeats (the orchestrator's watchdog judges their silence). */
const WORK_QUEUES: ReadonlySet<QueueName> = new Set([QueueName.Short, QueueName.Long, QueueName.Gpu, QueueName.Thumbnails, QueueName.Retry]);

/**
 * A vanished consumer's job comes back once its lock has expired and the stalled check has seen
 * it twice: within lockDuration + stalledInterval of its last renewal (renewed every
 * lockDuration / 2 while the event loop is free).
 * - Control queues (record, publish, verify, manifest): no heartbeat watches them, so their lock is
 *   the bound: 6 s + 3 s, a killed verifier's job runs again within 9 s. Their handlers do their
 *   work on the event loop in short steps, so a renewal is late only if the loop stalls for 3 s.
 * - Work lanes: the watchdog hands a dead attempt's job back from its heartbeats; the lock is the
 *   backstop for a worker that died before its attempt existed (before the grant exchange), and
 *   a longer one spares busy workers (many attempts, uploads, hashing) a false stall.
 * `lockMs` (QUEUE_LOCK_MS) overrides both, with the stalled check at half of it.
 */
export function lockOptions(queue: QueueName, lockMs?: number): LockOptions {
  const lockDuration = lockMs ?? (WORK_QUEUES.has(queue) ? 30_000 : 6_000);
  return { lockDuration, stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)) };
}

/** BullMQ job ids may not contain ':' (its key separator). */
export function jobIdOf(...parts: (string | number)[]): string {
  return parts.join('__');
}

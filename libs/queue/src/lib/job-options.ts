import type { JobsOptions } from 'bullmq';
import { JobName } from '@airlock/contracts';

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
    backoff: { type: 'exponential', delay: worker ? 2000 : 500 },
    // Keep finished jobs for a day for Bull Board; counts bound memory under load.
    removeOnComplete: { age: 24 * 3600, count: 10000 },
    removeOnFail: { age: 7 * 24 * 3600 },
    ...(input.priority === undefined ? {} : { priority: input.priority }),
  };
}

/** BullMQ job ids may not contain ':' (its key separator). */
export function jobIdOf(...parts: (string | number)[]): string {
  return parts.join('__');
}

import { randomUUID } from 'node:crypto';
import { JobContext } from '@airlock/queue';

export interface AttemptInfo {
  readonly attemptId: string;
  readonly attemptNumber: number;
  readonly workerId: string;
  readonly startedAt: string;
}

/** Every try of a task is its own attempt with its own id and private directory. */
export function beginAttempt(workerId: string, ctx: JobContext): AttemptInfo {
  return { attemptId: randomUUID(), attemptNumber: ctx.attempt, workerId, startedAt: new Date().toISOString() };
}

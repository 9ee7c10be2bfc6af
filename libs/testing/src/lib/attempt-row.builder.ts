import { randomUUID } from 'node:crypto';
import type { Prisma } from '@airlock/db';

/**
 * An attempt row as the grant exchange opens it: running, numbered, with a first heartbeat.
 * `released: true` is one whose worker released its grant with success (finished, still
 * running until its result is recorded).
 */
export function attemptRow(taskId: string, overrides: Partial<Prisma.AttemptUncheckedCreateInput> & { released?: boolean } = {}): Prisma.AttemptUncheckedCreateInput {
  const { released, ...rest } = overrides;
  const startedAt = rest.startedAt ?? new Date(Date.now() - 2000);
  return {
    id: randomUUID(),
    taskId,
    number: 1,
    workerId: 'worker-test',
    state: 'running',
    startedAt,
    heartbeatAt: new Date(),
    ...(released ? { finishedAt: new Date(Date.now() - 500) } : {}),
    ...rest,
  };
}

import { randomUUID } from 'node:crypto';
import { type JobContext, QueueName } from '@airlock/queue';

/** What WorkerHost hands a handler on a first try (test-only); nothing here uses flow children. */
export function jobContext(overrides: Partial<Pick<JobContext, 'attempt' | 'maxAttempts' | 'queue'>> = {}): JobContext {
  return {
    jobId: randomUUID(),
    queue: QueueName.Short,
    attempt: 1,
    maxAttempts: 3,
    childrenValues: <T>() => Promise.resolve<T[]>([]),
    failedChildren: () => Promise.resolve({}),
    ...overrides,
  };
}

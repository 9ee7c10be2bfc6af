import { ALL_QUEUES, QueueConnection, QueueName, WaitingStats } from '@airlock/queue';
import { deadLetterDepth, oldestWaitingJobAgeSeconds, queueWaitingJobs } from '@airlock/telemetry';

/**
 * Queue depth gauges, read from BullMQ when Prometheus scrapes. Both per-queue gauges share
 * one read per scrape (cached for a second) so a scrape costs one pass over the queues.
 */
export function attachQueueGauges(queues: QueueConnection, now: () => number = Date.now): void {
  let cached: { at: number; stats: Promise<Map<QueueName, WaitingStats>> } | undefined;
  const stats = () => {
    if (!cached || now() - cached.at > 1000) {
      const read = Promise.all(ALL_QUEUES.filter((q) => q !== QueueName.DeadLetter).map(async (q) => [q, await queues.waitingStats(q)] as const)).then((rows) => new Map(rows));
      // A failed read is not cached: the next scrape tries again.
      void read.catch(() => (cached = undefined));
      cached = { at: now(), stats: read };
    }
    return cached.stats;
  };
  queueWaitingJobs.from(async (gauge) => {
    for (const [queue, s] of await stats()) gauge.set({ queue }, s.count);
  });
  oldestWaitingJobAgeSeconds.from(async (gauge) => {
    const at = now();
    for (const [queue, s] of await stats()) gauge.set({ queue }, s.oldestTimestamp === undefined ? 0 : Math.max(0, (at - s.oldestTimestamp) / 1000));
  });
  deadLetterDepth.from(async (gauge) => gauge.set(await queues.deadLetterDepth()));
}

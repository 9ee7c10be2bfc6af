import { appendEvent, PrismaClient } from '@airlock/db';
import { QueueConnection, QueueName } from '@airlock/queue';

export interface WatchdogSettings {
  /** A running attempt whose last heartbeat is older than this is presumed dead. */
  readonly silenceMs: number;
  readonly batch: number;
}

/**
 * Heartbeats, judged: a worker that stops heartbeating (killed, hung, cut off) loses its task
 * within silenceMs plus one watchdog period, independent of BullMQ's stalled check. The attempt
 * is marked stale, its grant revoked (a zombie cannot read the source or upload any more), and
 * its queue job failed so the task's next attempt runs under the task's backoff.
 */
export class AttemptWatchdog {
  constructor(
    private readonly db: PrismaClient,
    private readonly queues: QueueConnection,
    private readonly settings: WatchdogSettings,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async run(): Promise<{ silent: number; handedBack: number; unrecorded: number }> {
    const now = this.clock();
    const silent = await this.db.attempt.findMany({
      where: { state: 'running', finishedAt: null, heartbeatAt: { lt: new Date(now.getTime() - this.settings.silenceMs) } },
      include: { task: { select: { jobId: true, job: { select: { mediaId: true } } } } },
      take: this.settings.batch,
    });
    let handedBack = 0;
    for (const a of silent) {
      const closed = await this.db.$transaction(async (tx) => {
        const { count } = await tx.attempt.updateMany({ where: { id: a.id, state: 'running' }, data: { state: 'stale', errorCode: 'heartbeat_lost', finishedAt: now } });
        if (count !== 1) return false;
        await tx.grant.updateMany({ where: { attemptId: a.id, revokedAt: null }, data: { revokedAt: now } });
        const silentForSec = Math.round((now.getTime() - (a.heartbeatAt ?? a.startedAt).getTime()) / 1000);
        await appendEvent(tx, {
          mediaId: a.task.job.mediaId,
          jobId: a.task.jobId,
          type: 'attempt_stale',
          reason: 'heartbeat_lost',
          data: { taskId: a.taskId, attemptId: a.id, workerId: a.workerId, silentForSec },
        });
        return true;
      });
      if (!closed || !a.queue || !a.queueJobId) continue;
      const outcome = await this.queues.handBack(a.queue as QueueName, a.queueJobId, `heartbeat_lost: attempt ${a.id} of worker ${a.workerId} went silent`);
      if (outcome !== 'not_running') handedBack++;
    }
    return { silent: silent.length, handedBack, unrecorded: await this.closeUnrecorded(now) };
  }

  /**
   * Attempts that finished their work but whose result never reached the record step (the worker
   * died between its release and its queue completion, or Redis lost the job) are closed once
   * another attempt won their task, so every attempt ends with an outcome.
   */
  private async closeUnrecorded(now: Date): Promise<number> {
    const before = new Date(now.getTime() - this.settings.silenceMs);
    const lost = await this.db.attempt.findMany({
      where: { state: 'running', finishedAt: { lt: before }, task: { state: { in: ['succeeded', 'cancelled'] } } },
      select: { id: true, task: { select: { winningAttemptId: true } } },
      take: this.settings.batch,
    });
    const ids = lost.filter((a) => a.task.winningAttemptId !== a.id).map((a) => a.id);
    if (ids.length === 0) return 0;
    const { count } = await this.db.attempt.updateMany({ where: { id: { in: ids }, state: 'running' }, data: { state: 'stale', errorCode: 'result_not_recorded' } });
    return count;
  }
}

import { RejectedTask } from '@airlock/contracts';
import { appendEvent, PrismaClient } from '@airlock/db';
import { FlowRebuilder } from '../recovery/flow-rebuilder';

/** A task whose output was refused this many times fails the media: something beyond one bad worker is wrong. */
export const MAX_REJECTIONS_PER_TASK = 3;

/**
 * The verifier refused some tasks' outputs (and quarantined their workers): mark those
 * attempts rejected, put the tasks back to `queued` (uncounted), the job back to transcoding,
 * and rebuild the flow under a new generation, so only the refused tasks run again, on
 * another worker, and the whole set is verified again. `too_many`: a task was refused too
 * often (the caller fails the media); `not_ours`: another caller already did this.
 */
export async function rerunRejectedTasks(db: PrismaClient, rebuilder: FlowRebuilder, jobId: string, rejected: readonly RejectedTask[]): Promise<'rerun' | 'too_many' | 'not_ours'> {
  const outcome = await db.$transaction(async (tx) => {
    // The claim: one caller moves the job back from packaging (a repeated publish finds it moved).
    const claimed = await tx.job.updateMany({ where: { id: jobId, state: 'packaging' }, data: { state: 'transcoding' } });
    if (claimed.count !== 1) return { kind: 'not_ours' as const };
    const job = await tx.job.findUniqueOrThrow({ where: { id: jobId }, select: { mediaId: true, generation: true } });
    for (const r of rejected) {
      await tx.attempt.updateMany({ where: { id: r.attemptId }, data: { state: 'rejected', errorCode: r.reasons[0], errorMessage: r.reasons.join(', ') } });
    }
    const counts = await tx.attempt.groupBy({ by: ['taskId'], where: { taskId: { in: rejected.map((r) => r.taskId) }, state: 'rejected' }, _count: true });
    if (counts.some((c) => c._count >= MAX_REJECTIONS_PER_TASK)) return { kind: 'too_many' as const };
    const reset = await tx.task.updateMany({
      where: { id: { in: rejected.map((r) => r.taskId) }, state: 'succeeded' },
      data: { state: 'queued', winningAttemptId: null },
    });
    // Only the ladder's verify step rejects (the preview's tasks are not in this count, record.handler.ts).
    await tx.job.update({ where: { id: jobId }, data: { tasksSucceeded: { decrement: reset.count } } });
    await appendEvent(tx, { mediaId: job.mediaId, jobId, type: 'tasks_rejected', reason: 'outputs_rejected', data: { tasks: rejected.length, reasons: [...new Set(rejected.flatMap((r) => r.reasons))] } });
    return { kind: 'rerun' as const, generation: job.generation };
  });
  if (outcome.kind !== 'rerun') return outcome.kind;
  await rebuilder.rebuild(jobId, outcome.generation, 'outputs_rejected');
  return 'rerun';
}

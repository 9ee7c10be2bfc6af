import { JobName, PayloadOf, TaskReport, taskReportSchema } from '@airlock/contracts';
import { appendEvent, PrismaClient, transitionMedia, transitionMediaIn } from '@airlock/db';
import { isPreviewRendition } from '@airlock/domain';
import { JobContext, TerminalError } from '@airlock/queue';

/**
 * A worker attempt finished a task: record the attempt and the task's success once,
 * count it once, and let exactly one caller move the job from transcoding to packaging.
 * Returns the report so the verifier (the parent) sees exactly what was recorded.
 */
export class RecordHandler {
  constructor(private readonly db: PrismaClient) {}

  async handle({ mediaId, jobId, taskId }: PayloadOf<typeof JobName.TaskRecord>, ctx: JobContext): Promise<TaskReport> {
    const failures = Object.values(await ctx.failedChildren());
    if (failures.length > 0) {
      await this.recordFailure(mediaId, jobId, taskId, failures[0]);
      throw new TerminalError('task_failed', `task ${taskId} failed after all retries`);
    }
    const [value] = await ctx.childrenValues();
    const report = taskReportSchema.parse(value);
    if (report.taskId !== taskId) throw new TerminalError('report_mismatch', `report for ${report.taskId} arrived at task ${taskId}`);

    await this.db.$transaction(async (tx) => {
      // Counted once: only the move into `succeeded` increments the job's counter.
      const won = await tx.task.updateMany({
        where: { id: taskId, state: { in: ['queued', 'running'] } },
        data: { state: 'succeeded', winningAttemptId: report.attemptId, attemptCount: report.attemptNumber },
      });
      const task = await tx.task.findUniqueOrThrow({ where: { id: taskId }, select: { winningAttemptId: true, rendition: true } });
      const stale = task.winningAttemptId !== report.attemptId;
      // Insert-or-ignore: a repeated callback of the same attempt is a no-op, even when concurrent.
      await tx.attempt.createMany({
        data: [
          {
            id: report.attemptId,
            taskId,
            number: report.attemptNumber,
            workerId: report.workerId,
            state: stale ? 'stale' : 'succeeded',
            encoderPath: report.encoderPath,
            encoderBuild: report.encoderBuild,
            startedAt: new Date(report.startedAt),
            finishedAt: new Date(report.finishedAt),
            cleanup: report.cleanup,
          },
        ],
        skipDuplicates: true,
      });
      if (stale) {
        await appendEvent(tx, { mediaId, jobId, type: 'attempt_stale', reason: 'newer_attempt_won', data: { taskId, attemptId: report.attemptId } });
        return;
      }
      // The preview's tasks are the preview sub-flow's business: the ladder's count leaves them out.
      if (won.count !== 1 || isPreviewRendition(task.rendition)) return;
      const job = await tx.job.update({ where: { id: jobId }, data: { tasksSucceeded: { increment: 1 } } });
      if (job.tasksSucceeded < job.tasksTotal) return;
      // Completion guard: the conditional update admits exactly one caller.
      const moved = await tx.job.updateMany({
        where: { id: jobId, state: 'transcoding', tasksSucceeded: job.tasksTotal },
        data: { state: 'packaging' },
      });
      if (moved.count === 1) await transitionMediaIn(tx, { mediaId, jobId, to: 'verifying', reason: 'all_tasks_done' });
    });
    return report;
  }

  private async recordFailure(mediaId: string, jobId: string, taskId: string, reason: string): Promise<void> {
    const code = reason.startsWith('unsupported') ? reason.split(':')[0] : 'task_failed';
    const preview = await this.db.$transaction(async (tx) => {
      await tx.task.updateMany({ where: { id: taskId, state: { in: ['queued', 'running'] } }, data: { state: 'failed', failureCode: code } });
      const task = await tx.task.findUniqueOrThrow({ where: { id: taskId }, select: { rendition: true } });
      await appendEvent(tx, { mediaId, jobId, type: 'task_failed', reason: code, data: { taskId } });
      // A failed preview task fails the preview sub-flow only; the ladder is judged on its own.
      if (isPreviewRendition(task.rendition)) return true;
      await tx.job.updateMany({ where: { id: jobId, state: { in: ['transcoding', 'packaging'] } }, data: { state: 'failed' } });
      return false;
    });
    if (preview) return;
    await transitionMedia(this.db, {
      mediaId,
      jobId,
      to: 'failed_retryable',
      reason: code,
      set: { failureCode: code, failureMessage: 'A processing task failed after all retries.' },
    });
  }
}

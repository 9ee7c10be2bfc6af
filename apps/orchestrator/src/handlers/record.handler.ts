import { JobName, MEDIA_FINISHED, PayloadOf, StageSkipped, TaskReport, TaskReports, taskReportSchema, taskReportsSchema } from '@airlock/contracts';
import { appendEvent, Prisma, PrismaClient, processingOverState, transitionMedia, transitionMediaIn } from '@airlock/db';
import { classifyTaskFailure, isPreviewRendition, RETRYABLE_REASONS, TERMINAL_REASONS, TerminalReason } from '@airlock/domain';
import { JobContext, TerminalError } from '@airlock/queue';
import { countSuccess } from './count-success';
import { winningReports } from './winning-reports';

/**
 * A worker attempt finished a task: record the attempt and the task's success once,
 * count it once, and let exactly one caller move the job from transcoding to packaging.
 * Returns the report so the verifier (the parent) sees exactly what was recorded. The caller
 * that counts the last task of the early stage (the lowest rung and audio) queues that stage.
 */
export class RecordHandler {
  constructor(
    private readonly db: PrismaClient,
    private readonly early?: { queue(jobId: string): Promise<void> },
  ) {}

  async handle({ mediaId, jobId, taskId, earlyStage }: PayloadOf<typeof JobName.TaskRecord>, ctx: JobContext): Promise<TaskReport | StageSkipped> {
    const failures = Object.values(await ctx.failedChildren());
    if (failures.length > 0) {
      // The media finished (ready, failed, deleted) while this task ran: nothing to fail, no dead letter.
      const skipped = await this.skipIfOver(mediaId);
      if (skipped) return skipped;
      await this.recordFailure(mediaId, jobId, [taskId], failures[0]);
      throw new TerminalError('task_failed', `task ${taskId} failed after all retries`);
    }
    const [value] = await ctx.childrenValues();
    // No work child: a flow rebuilt from Postgres (recovery, re-drive) asks for a task already done,
    // or a callback delivered again after the media finished (its task may have been cancelled).
    if (value === undefined) return (await this.skipIfOver(mediaId)) ?? this.winningReport(taskId);
    const report = taskReportSchema.parse(value);
    if (report.taskId !== taskId) throw new TerminalError('report_mismatch', `report for ${report.taskId} arrived at task ${taskId}`);
    return this.record(mediaId, jobId, taskId, report, earlyStage);
  }

  /** A segment group's record step: each task's report recorded and counted on its own, as above. */
  async handleGroup({ mediaId, jobId, taskIds }: PayloadOf<typeof JobName.TaskGroupRecord>, ctx: JobContext): Promise<TaskReports | StageSkipped> {
    const failures = Object.values(await ctx.failedChildren());
    if (failures.length > 0) {
      const skipped = await this.skipIfOver(mediaId);
      if (skipped) return skipped;
      await this.recordFailure(mediaId, jobId, taskIds, failures[0]);
      throw new TerminalError('task_failed', `tasks ${taskIds.join(', ')} failed after all retries`);
    }
    const [value] = await ctx.childrenValues();
    if (value === undefined) return (await this.skipIfOver(mediaId)) ?? { reports: await winningReports(this.db, taskIds) };
    const { reports } = taskReportsSchema.parse(value);
    const recorded: TaskReport[] = [];
    for (const taskId of taskIds) {
      const report = reports.find((r) => r.taskId === taskId);
      if (!report || reports.length !== taskIds.length) throw new TerminalError('report_mismatch', `the group's reports do not match its tasks (${taskId})`);
      const one = await this.record(mediaId, jobId, taskId, report);
      if ('skipped' in one) return one;
      recorded.push(one);
    }
    return { reports: recorded };
  }

  private async record(mediaId: string, jobId: string, taskId: string, report: TaskReport, earlyStage?: readonly string[]): Promise<TaskReport | StageSkipped> {
    let earlyDone = false;
    const winner = await this.db.$transaction(async (tx) => {
      const counted = await countSuccess(tx, { jobId, taskId }, report);
      if (!counted.won) return this.recordRepeat(tx, mediaId, jobId, taskId, report);
      // An attempt the exchange left no row for (one recorded by an older api) gets its row now.
      if (!counted.attemptClosed) await closeAttempt(tx, report, false);
      // The preview's tasks are the preview sub-flow's business: the ladder's count leaves them out.
      const job = counted.job;
      if (!job) return report.attemptId;
      earlyDone = earlyStage !== undefined && (await lastOfEarlyStage(tx, jobId, earlyStage));
      if (job.tasksSucceeded < job.tasksTotal) return report.attemptId;
      // Completion guard: the conditional update admits exactly one caller.
      const moved = await tx.job.updateMany({
        where: { id: jobId, state: 'transcoding', tasksSucceeded: job.tasksTotal },
        data: { state: 'packaging' },
      });
      if (moved.count === 1) await transitionMediaIn(tx, { mediaId, jobId, to: 'verifying', reason: 'all_tasks_done' });
      return report.attemptId;
    });
    if (earlyDone) await this.early?.queue(jobId);
    // No winner: the task was cancelled (or failed) because its media finished meanwhile.
    const skipped = winner === null ? await this.skipIfOver(mediaId) : undefined;
    if (skipped) return skipped;
    // The verifier always sees the canonical outputs: the winner's, whoever called last.
    return winner === report.attemptId ? report : this.winningReport(taskId);
  }

  /**
   * The task was already done (a repeated callback of its winner, or a stale attempt) or
   * cancelled: the attempt is closed as what it is, and nothing is counted. Returns the winner.
   */
  private async recordRepeat(tx: Prisma.TransactionClient, mediaId: string, jobId: string, taskId: string, report: TaskReport): Promise<string | null> {
    const task = await tx.task.findUniqueOrThrow({ where: { id: taskId }, select: { state: true, winningAttemptId: true } });
    const stale = task.winningAttemptId !== report.attemptId;
    const reason = task.state === 'cancelled' ? 'task_cancelled' : 'newer_attempt_won';
    await closeAttempt(tx, report, stale && reason);
    if (stale) await appendEvent(tx, { mediaId, jobId, type: 'attempt_stale', reason, data: { taskId, attemptId: report.attemptId } });
    return task.winningAttemptId;
  }

  /** A record step of a media whose processing is over completes as a no-op: nothing counted, failed or dead-lettered. */
  private async skipIfOver(mediaId: string): Promise<StageSkipped | undefined> {
    const over = await processingOverState(this.db, mediaId);
    return over ? { skipped: MEDIA_FINISHED, state: over } : undefined;
  }

  /** The report of the attempt that won the task, as recorded when it was counted. */
  private async winningReport(taskId: string): Promise<TaskReport> {
    const [report] = await winningReports(this.db, [taskId]);
    if (!report) throw new Error(`task ${taskId} does not exist`);
    return report;
  }

  /** The tasks (one, or a group's) failed for good: each recorded failed before the media fails (which cancels the rest). */
  private async recordFailure(mediaId: string, jobId: string, taskIds: readonly string[], reason: string): Promise<void> {
    const { code, terminal } = classifyTaskFailure(reason);
    const preview = await this.db.$transaction(async (tx) => {
      await tx.task.updateMany({ where: { id: { in: [...taskIds] }, state: { in: ['queued', 'running'] } }, data: { state: 'failed', failureCode: code } });
      const tasks = await tx.task.findMany({ where: { id: { in: [...taskIds] } }, select: { rendition: true } });
      for (const taskId of taskIds) await appendEvent(tx, { mediaId, jobId, type: 'task_failed', reason: code, data: { taskId, terminal } });
      // A failed preview task fails the preview sub-flow only; the ladder is judged on its own.
      if (tasks.every((t) => isPreviewRendition(t.rendition))) return true;
      await tx.job.updateMany({ where: { id: jobId, state: { in: ['transcoding', 'packaging'] } }, data: { state: 'failed' } });
      return false;
    });
    if (preview) return;
    await transitionMedia(this.db, {
      mediaId,
      jobId,
      to: terminal ? 'failed_terminal' : 'failed_retryable',
      reason: code,
      set: { failureCode: code, failureMessage: terminal ? TERMINAL_REASONS[code as TerminalReason] : RETRYABLE_REASONS.task_failed },
    });
  }
}

/**
 * The attempt row, opened at the grant exchange, is closed with what the worker reported; a
 * repeated callback finds it closed and changes nothing. (Created here when the exchange left
 * no row, e.g. an attempt recorded by an older api.)
 */
async function closeAttempt(tx: Prisma.TransactionClient, report: TaskReport, staleReason: string | false): Promise<void> {
  const closing = {
    state: staleReason ? ('stale' as const) : ('succeeded' as const),
    encoderPath: report.encoderPath,
    encoderBuild: report.encoderBuild,
    finishedAt: new Date(report.finishedAt),
    cleanup: report.cleanup,
    ...(staleReason ? { errorCode: staleReason } : { report: report as unknown as Prisma.InputJsonValue }),
  };
  const { count } = await tx.attempt.updateMany({ where: { id: report.attemptId, state: 'running' }, data: closing });
  if (count === 1) return;
  await tx.attempt.createMany({
    data: [{ id: report.attemptId, taskId: report.taskId, number: report.attemptNumber, workerId: report.workerId, startedAt: new Date(report.startedAt), ...closing }],
    skipDuplicates: true,
  });
}

/**
 * Whether this counted task (one of the early stage's) was the last of them. The increment before
 * it locks the job row until commit, so counts are taken one at a time and exactly one caller
 * sees none left.
 */
async function lastOfEarlyStage(tx: Prisma.TransactionClient, jobId: string, earlyStage: readonly string[]): Promise<boolean> {
  const left = await tx.task.count({ where: { jobId, rendition: { in: [...earlyStage] }, state: { not: 'succeeded' } } });
  return left === 0;
}

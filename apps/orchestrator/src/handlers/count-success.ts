import { TaskReport } from '@airlock/contracts';
import { Prisma } from '@airlock/db';
import { PREVIEW_PROFILE } from '@airlock/domain';

export interface CountedSuccess {
  /** The task was queued or running and this attempt moved it to `succeeded`. */
  readonly won: boolean;
  /** The attempt row opened at the grant exchange was closed with the report (false: no such running row). */
  readonly attemptClosed: boolean;
  /** The job's counts after this task was counted; null when it was not (not won, or the preview's, which the ladder leaves out). */
  readonly job: { readonly tasksSucceeded: number; readonly tasksTotal: number } | null;
}

/**
 * The record step's common case in one statement: the task moves to `succeeded` with this
 * attempt as its winner, the attempt is closed with its report, and the job counts the task.
 * The job row's lock, held to the end of the caller's transaction, orders concurrent counts, so
 * each caller sees the count its own increment made. When the task was not queued or running
 * (a repeat, a stale attempt, a cancelled task) nothing changes and `won` is false.
 * Through Prisma's models this was three statements, each compiled anew (about 1 CPU-ms each).
 */
export async function countSuccess(tx: Prisma.TransactionClient, ids: { jobId: string; taskId: string }, report: TaskReport): Promise<CountedSuccess> {
  const now = new Date();
  const [row] = await tx.$queryRaw<{ won: boolean; attemptClosed: boolean; tasksSucceeded: number | null; tasksTotal: number | null }[]>`
    WITH won AS (
      UPDATE tasks SET state = 'succeeded', winning_attempt_id = ${report.attemptId}::uuid, updated_at = ${now}
      WHERE id = ${ids.taskId}::uuid AND state IN ('queued', 'running')
      RETURNING rendition
    ), closed AS (
      UPDATE attempts SET state = 'succeeded', encoder_path = ${report.encoderPath}, encoder_build = ${report.encoderBuild},
        finished_at = ${new Date(report.finishedAt)}, cleanup = ${JSON.stringify(report.cleanup)}::jsonb, report = ${JSON.stringify(report)}::jsonb
      WHERE id = ${report.attemptId}::uuid AND state = 'running' AND EXISTS (SELECT 1 FROM won)
      RETURNING id
    ), counted AS (
      UPDATE jobs SET tasks_succeeded = tasks_succeeded + 1, updated_at = ${now}
      WHERE id = ${ids.jobId}::uuid AND EXISTS (SELECT 1 FROM won WHERE rendition <> ${PREVIEW_PROFILE.name})
      RETURNING tasks_succeeded, tasks_total
    )
    SELECT EXISTS (SELECT 1 FROM won) AS won, EXISTS (SELECT 1 FROM closed) AS "attemptClosed",
           c.tasks_succeeded AS "tasksSucceeded", c.tasks_total AS "tasksTotal"
    FROM (SELECT 1) AS one LEFT JOIN counted AS c ON true`;
  return {
    won: row.won,
    attemptClosed: row.attemptClosed,
    job: row.tasksSucceeded === null || row.tasksTotal === null ? null : { tasksSucceeded: row.tasksSucceeded, tasksTotal: row.tasksTotal },
  };
}

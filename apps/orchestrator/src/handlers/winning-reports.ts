import { TaskReport, taskReportSchema } from '@airlock/contracts';
import { PrismaClient } from '@airlock/db';

/** The reports of the attempts that won these tasks, as recorded when each was counted; throws for a task not done. */
export async function winningReports(db: PrismaClient, taskIds: readonly string[]): Promise<TaskReport[]> {
  const tasks = await db.task.findMany({ where: { id: { in: [...taskIds] } }, select: { id: true, state: true, winningAttemptId: true } });
  const order = new Map(taskIds.map((id, i) => [id, i]));
  tasks.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  const attempts = await db.attempt.findMany({ where: { id: { in: tasks.flatMap((t) => t.winningAttemptId ?? []) } }, select: { id: true, report: true } });
  const reportOf = new Map(attempts.map((a) => [a.id, a.report]));
  return tasks.map((task) => {
    const report = task.winningAttemptId ? reportOf.get(task.winningAttemptId) : undefined;
    if (task.state !== 'succeeded' || !report) throw new Error(`task ${task.id} has no recorded report yet (${task.state})`);
    return taskReportSchema.parse(report);
  });
}

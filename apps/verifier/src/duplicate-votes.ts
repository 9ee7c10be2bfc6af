import { TaskReport, taskReportSchema } from '@airlock/contracts';
import { PrismaClient } from '@airlock/db';
import { CheckFailure } from './checks/check-failure';
import { judgeSlot, Vote } from './checks/duplicate-checks';

interface SlotTask {
  readonly id: string;
  readonly segmentIndex: number;
  readonly rendition: string;
  readonly role: string;
}

/**
 * Each sampled slot's votes: every output any attempt of its two tasks reported (refused ones
 * included, from their stored reports), judged by `judgeSlot`.
 */
export async function judgeDuplicates(db: PrismaClient, reports: readonly TaskReport[], tasks: readonly SlotTask[]): Promise<{ failures: CheckFailure[]; minority: Vote[] }> {
  const failures: CheckFailure[] = [];
  const minority: Vote[] = [];
  const taskOf = new Map(tasks.map((t) => [t.id, t]));
  for (const duplicate of reports.filter((r) => taskOf.get(r.taskId)?.role === 'duplicate')) {
    const slot = taskOf.get(duplicate.taskId) as SlotTask;
    const primary = reports.find((r) => {
      const t = taskOf.get(r.taskId);
      return t?.role === 'primary' && t.rendition === slot.rendition && t.segmentIndex === slot.segmentIndex;
    });
    if (!primary) continue;
    const current = new Set([primary.attemptId, duplicate.attemptId]);
    const attempts = await db.attempt.findMany({
      where: { taskId: { in: [primary.taskId, duplicate.taskId] }, state: { in: ['succeeded', 'rejected', 'stale'] } },
      select: { id: true, workerId: true, report: true },
    });
    const votes = attempts.flatMap((a): Vote[] => {
      const sha256 = mediaHashOf(a.report);
      return sha256 ? [{ workerId: a.workerId, attemptId: a.id, sha256, current: current.has(a.id) }] : [];
    });
    const verdict = judgeSlot(`${slot.rendition} segment ${slot.segmentIndex}`, votes, duplicate.attemptId);
    failures.push(...verdict.failures);
    minority.push(...verdict.minority);
  }
  return { failures, minority };
}

function mediaHashOf(report: unknown): string | undefined {
  const parsed = taskReportSchema.safeParse(report);
  return parsed.success ? parsed.data.outputs.find((o) => o.kind === 'media')?.sha256 : undefined;
}

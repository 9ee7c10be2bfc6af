import { OutputFact, RejectedTask } from '@airlock/contracts';
import { appendEvent, PrismaClient } from '@airlock/db';
import { CheckFailure, UNTRUSTED_WORKER } from './checks/check-failure';

export interface Verdict {
  readonly mediaId: string;
  readonly jobId: string;
  readonly verifyJob: string;
  readonly outputs: readonly OutputFact[];
  readonly failures: readonly CheckFailure[];
  readonly rejected: readonly RejectedTask[];
  /** Workers that disagreed with the majority of a duplicated slot (now or in an earlier attempt). */
  readonly minority: readonly { workerId: string; attemptId: string; reason: string }[];
  /** Report attempt -> task and worker, for the stored rows. */
  readonly attempts: ReadonlyMap<string, { taskId: string; workerId: string }>;
  readonly ownerOf: (key: string) => string | undefined;
}

/**
 * The verifier's record: one row per output checked and one per failure found (the explain
 * timeline and support read them), an event with the verdict's counts by reason, and the
 * quarantine of every worker whose output was refused: it gets no grant until an operator
 * clears it. One transaction; a repeated verify job writes its rows again under the same
 * verify job id, which readers treat as one verdict.
 */
export async function recordVerdict(db: PrismaClient, v: Verdict): Promise<void> {
  const failedKeys = new Set(v.failures.map((f) => f.key).filter(Boolean));
  const row = (attemptId: string | undefined) => {
    const a = attemptId ? v.attempts.get(attemptId) : undefined;
    return { attemptId: a ? attemptId : null, taskId: a?.taskId ?? null, workerId: a?.workerId ?? null };
  };
  const byReason: Record<string, number> = {};
  for (const f of v.failures) byReason[f.reason] = (byReason[f.reason] ?? 0) + 1;
  await db.$transaction(async (tx) => {
    await tx.outputCheck.deleteMany({ where: { verifyJob: v.verifyJob } });
    await tx.outputCheck.createMany({
      data: [
        ...v.outputs.filter((o) => !failedKeys.has(o.key)).map((o) => ({ mediaId: v.mediaId, jobId: v.jobId, verifyJob: v.verifyJob, key: o.key, passed: true, ...row(v.ownerOf(o.key)) })),
        ...v.failures.map((f) => ({ mediaId: v.mediaId, jobId: v.jobId, verifyJob: v.verifyJob, key: f.key ?? null, passed: false, reason: f.reason, detail: f.detail.slice(0, 500), ...row(f.attemptId) })),
      ],
    });
    // One quarantine per worker, for the lie it was caught in (not for the sound work redone with it).
    const caught = new Map<string, { attemptId: string; reason: string }>();
    const blamed = [...v.rejected.filter((r) => r.quarantine).map((r) => ({ workerId: r.workerId, attemptId: r.attemptId, reason: r.reasons[0] })), ...v.minority];
    for (const b of blamed) if (!caught.has(b.workerId) || caught.get(b.workerId)?.reason === UNTRUSTED_WORKER) caught.set(b.workerId, b);
    for (const [workerId, { attemptId, reason }] of caught) {
      const known = await tx.workerQuarantine.findUnique({ where: { workerId } });
      if (known && !known.clearedAt) continue;
      const quarantine = { reason, attemptId, mediaId: v.mediaId, createdAt: new Date(), clearedAt: null, clearedBy: null };
      await tx.workerQuarantine.upsert({ where: { workerId }, create: { workerId, ...quarantine }, update: quarantine });
      await appendEvent(tx, { mediaId: v.mediaId, jobId: v.jobId, type: 'worker_quarantined', reason, data: { workerId, attemptId } });
    }
    await appendEvent(tx, {
      mediaId: v.mediaId,
      jobId: v.jobId,
      type: v.failures.length === 0 ? 'verification_passed' : 'verification_failed',
      reason: v.failures.length === 0 ? 'all_checks_passed' : v.rejected.length > 0 ? 'outputs_rejected' : 'verification_failed',
      data: { verifyJob: v.verifyJob, outputs: v.outputs.length, failures: v.failures.length, byReason, rejectedTasks: v.rejected.length },
    });
  });
}

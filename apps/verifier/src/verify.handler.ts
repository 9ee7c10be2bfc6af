import type { JWK } from 'jose';
import { JobName, MEDIA_FINISHED, PayloadOf, RejectedTask, reportsOfChildren, TaskReport, Verification } from '@airlock/contracts';
import { checkReportSignature } from '@airlock/crypto/node';
import { appendEvent, PrismaClient, processingOverState } from '@airlock/db';
import { isPreviewRendition, storageKeys } from '@airlock/domain';
import { JobContext } from '@airlock/queue';
import { ObjectStore } from '@airlock/storage';
import { failureKind, verificationFailuresByWorkerTotal, verificationFailuresTotal } from '@airlock/telemetry';
import { checkBitrates } from './checks/bitrate-checks';
import { CheckFailure, failureText, UNTRUSTED_WORKER } from './checks/check-failure';
import { checkObjects } from './checks/object-checks';
import { checkReportsAgainstPlan, PlanCheckResult } from './checks/plan-checks';
import { checkReport } from './checks/report-checks';
import { deepCheck } from './deep/deep-checks';
import { acquireOutputKey } from './deep/verifier-grant';
import { judgeDuplicates } from './duplicate-votes';
import { recordVerdict } from './verdict-store';

export interface VerifySettings {
  readonly workerPublicJwks: readonly JWK[];
  readonly bitrateFactor: number;
  /** The verifier's own key and the api that grants it the output key (deep checks); unset: standard checks only. */
  readonly deep?: { readonly signingJwk: JWK; readonly apiUrl: string };
}

/**
 * The delivery gate: nothing reaches the manifester unless every output checks out. It trusts
 * no worker: reports are checked against their signatures, Postgres (the task, its live
 * attempt, the uploaded source) and the plan; objects against storage (whole-object AES-128
 * ciphertext at its place) and, when the policy lets the verifier decrypt, against their own
 * clear boxes and decoded frames.
 * Failures that one attempt is to blame for reject that attempt: its task runs again on
 * another worker (the orchestrator's publish step) and its worker is quarantined.
 */
export class VerifyHandler {
  constructor(
    private readonly db: PrismaClient,
    private readonly store: ObjectStore,
    private readonly settings: VerifySettings,
  ) {}

  async handle(data: PayloadOf<typeof JobName.OutputsVerify>, ctx: JobContext): Promise<Verification> {
    // A late stage (a preview verified after the ladder was ready, a deleted media's): no checks,
    // no verdict, no quarantine; the manifester passes this up and publish does nothing.
    const over = await processingOverState(this.db, data.mediaId);
    if (over) return { ok: false, code: MEDIA_FINISHED, message: `the media is ${over}: nothing to verify`, failures: [] };
    const reports = reportsOfChildren(await ctx.childrenValues());
    const job = await this.db.job.findUniqueOrThrow({ where: { id: data.jobId }, select: { probe: true, policy: true, media: { select: { sourceSha256: true } } } });
    const tasks = await this.db.task.findMany({ where: { id: { in: reports.map((r) => r.taskId) } } });
    const attempts = await this.db.attempt.findMany({ where: { id: { in: reports.map((r) => r.attemptId) } }, select: { id: true, taskId: true, workerId: true, state: true } });

    const reportFailures: CheckFailure[] = [];
    for (const report of reports) {
      reportFailures.push(
        ...checkReport(report, {
          jobId: data.jobId,
          sourceSha256: job.media.sourceSha256,
          task: tasks.find((t) => t.id === report.taskId),
          attempt: attempts.find((a) => a.id === report.attemptId),
          signature: await checkReportSignature(report, this.settings.workerPublicJwks),
        }),
      );
    }
    // The plan is about what gets delivered: the primaries. Duplicates are compared with them.
    const duplicateTasks = new Set(tasks.filter((t) => t.role === 'duplicate').map((t) => t.id));
    const primaries = reports.filter((r) => !duplicateTasks.has(r.taskId));
    const ladder = !data.expected.renditions.some(isPreviewRendition);
    const sourceSec = (job.probe as { durationSec?: number } | null)?.durationSec;
    const plan = checkReportsAgainstPlan(data.expected, primaries, ladder ? sourceSec : undefined);
    const duplicates = await judgeDuplicates(this.db, reports, tasks);

    const ownerOf = ownersOf(reports);
    const everyOutput = [...new Map(reports.flatMap((r) => r.outputs).map((o) => [o.key, o])).values()];
    const ownPrefixes = [storageKeys.segmentPrefix(data.mediaId), storageKeys.filePrefix(data.mediaId)];
    const own = (key: string) => ownPrefixes.some((p) => key.startsWith(p));
    const foreign: CheckFailure[] = everyOutput.filter((o) => !own(o.key)).map((o) => ({ reason: 'foreign_key', detail: `${o.key} belongs to another media`, key: o.key, attemptId: ownerOf(o.key) }));
    const ownOutputs = everyOutput.filter((o) => own(o.key));
    const objects = await checkObjects(this.store, ownOutputs.map((fact) => ({ fact, attemptId: ownerOf(fact.key) })));
    const bitrates = checkBitrates(ownOutputs, this.settings.bitrateFactor, ownerOf);
    const recipients = await this.recipientKeys(data.mediaId);
    const failures = [...reportFailures, ...plan.failures, ...duplicates.failures, ...foreign, ...objects, ...bitrates, ...recipients];
    // Decoding is only worth it for outputs that passed everything else.
    const mayDecrypt = (job.policy as { verifier_may_decrypt?: boolean } | null)?.verifier_may_decrypt === true;
    if (failures.length === 0 && mayDecrypt) failures.push(...(await this.deepChecks(data, ctx.jobId, plan, ownerOf)));

    const byAttempt = new Map(reports.map((r) => [r.attemptId, { taskId: r.taskId, workerId: r.workerId }]));
    const rejected = rejectedTasks(failures, byAttempt);
    const minority = duplicates.minority.map((v) => ({ workerId: v.workerId, attemptId: v.attemptId, reason: 'duplicate_minority' }));
    await recordVerdict(this.db, { mediaId: data.mediaId, jobId: data.jobId, verifyJob: ctx.jobId, outputs: everyOutput, failures, rejected, minority, attempts: byAttempt, ownerOf });
    if (failures.length === 0) return { ok: true, streams: plan.streams, outputs: plan.outputs, checked: everyOutput.length };

    for (const f of failures) {
      verificationFailuresTotal.inc({ reason: failureKind(failureText(f)) });
      const worker = f.attemptId ? byAttempt.get(f.attemptId)?.workerId : undefined;
      if (worker) verificationFailuresByWorkerTotal.inc({ worker, reason: failureKind(failureText(f)) });
    }
    return {
      ok: false,
      code: rejected.length > 0 ? 'outputs_rejected' : 'verification_failed',
      message: `${failures.length} check(s) failed`,
      failures: failures.slice(0, 50).map(failureText),
      rejected,
    };
  }

  /** Every recipient must be able to open the outputs: the output key wrapped to them (a compact JWE). */
  private async recipientKeys(mediaId: string): Promise<CheckFailure[]> {
    const recipients = await this.db.recipient.findMany({ where: { mediaId }, select: { recipientId: true, outputKeyJwe: true } });
    if (recipients.length === 0) return [{ reason: 'recipient_key_missing', detail: 'the media has no recipients to deliver to' }];
    return recipients
      .filter((r) => r.outputKeyJwe.split('.').length !== 5)
      .map((r) => ({ reason: 'recipient_key_missing', detail: `recipient ${r.recipientId} has no wrapped output key` }));
  }

  private async deepChecks(data: PayloadOf<typeof JobName.OutputsVerify>, verifyJob: string, plan: PlanCheckResult, ownerOf: (key: string) => string | undefined): Promise<CheckFailure[]> {
    const deep = this.settings.deep;
    if (!deep) {
      await appendEvent(this.db, { mediaId: data.mediaId, jobId: data.jobId, type: 'deep_checks_skipped', reason: 'verifier_has_no_key' });
      return [];
    }
    const { key } = await acquireOutputKey(deep.apiUrl, deep.signingJwk, { mediaId: data.mediaId, jobId: data.jobId, verifyJob });
    try {
      return await deepCheck({ store: this.store, streams: plan.streams, outputs: plan.outputs, key, keyIdHex: data.expected.keyId, ownerOf });
    } finally {
      key.fill(0);
    }
  }
}

/** The attempt each reported object came from (the last report naming it). */
function ownersOf(reports: readonly TaskReport[]): (key: string) => string | undefined {
  const owner = new Map<string, string>();
  for (const r of reports) for (const o of r.outputs) owner.set(o.key, r.attemptId);
  return (key) => owner.get(key);
}

/**
 * Failures grouped by the attempt to blame: those tasks run again, elsewhere. A worker caught
 * once is trusted no further: every other task it did in this job runs again too. A tie
 * (`quarantine: false`) blames no one yet.
 */
function rejectedTasks(failures: readonly CheckFailure[], attempts: ReadonlyMap<string, { taskId: string; workerId: string }>): RejectedTask[] {
  const byAttempt = new Map<string, { reasons: Set<string>; quarantine: boolean }>();
  for (const f of failures) {
    if (!f.attemptId || !attempts.has(f.attemptId)) continue;
    const entry = byAttempt.get(f.attemptId) ?? { reasons: new Set<string>(), quarantine: false };
    entry.reasons.add(f.reason);
    entry.quarantine ||= f.quarantine !== false;
    byAttempt.set(f.attemptId, entry);
  }
  const caught = new Set([...byAttempt].filter(([, e]) => e.quarantine).map(([id]) => attempts.get(id)?.workerId));
  for (const [attemptId, { workerId }] of attempts) {
    if (caught.has(workerId) && !byAttempt.has(attemptId)) byAttempt.set(attemptId, { reasons: new Set([UNTRUSTED_WORKER]), quarantine: true });
  }
  return [...byAttempt].map(([attemptId, { reasons, quarantine }]) => {
    const { taskId, workerId } = attempts.get(attemptId) as { taskId: string; workerId: string };
    return { taskId, attemptId, workerId, reasons: [...reasons], quarantine };
  });
}

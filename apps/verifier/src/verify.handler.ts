import { JobName, PayloadOf, taskReportSchema, Verification } from '@airlock/contracts';
import { storageKeys } from '@airlock/domain';
import { JobContext } from '@airlock/queue';
import { ObjectStore } from '@airlock/storage';
import { failureKind, verificationFailuresTotal } from '@airlock/telemetry';
import { checkObjects } from './checks/object-checks';
import { checkReportsAgainstPlan } from './checks/plan-checks';

/** The delivery gate: nothing reaches the manifester unless every output checks out. */
export class VerifyHandler {
  constructor(private readonly store: ObjectStore) {}

  async handle(data: PayloadOf<typeof JobName.OutputsVerify>, ctx: JobContext): Promise<Verification> {
    const reports = (await ctx.childrenValues()).map((v) => taskReportSchema.parse(v));
    const plan = checkReportsAgainstPlan(data.expected, reports);
    const ownPrefixes = [storageKeys.segmentPrefix(data.mediaId), storageKeys.filePrefix(data.mediaId)];
    const own = (key: string) => ownPrefixes.some((p) => key.startsWith(p));
    const foreign = plan.outputs.filter((o) => !own(o.key)).map((o) => `foreign_key: ${o.key}`);
    const objects = await checkObjects(this.store, plan.outputs.filter((o) => own(o.key)));
    const failures = [...plan.failures, ...foreign, ...objects];
    if (failures.length > 0) {
      for (const f of failures) verificationFailuresTotal.inc({ reason: failureKind(f) });
      return { ok: false, code: 'verification_failed', message: `${failures.length} check(s) failed`, failures: failures.slice(0, 50) };
    }
    return { ok: true, streams: plan.streams, outputs: plan.outputs, checked: plan.outputs.length };
  }
}

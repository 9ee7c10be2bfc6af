import { MediaPolicy, mediaPolicySchema } from '@airlock/domain';

/** The policy snapshotted onto a job when it started (jobs from before snapshots get the defaults). */
export function policyOf(job: { policy: unknown }): MediaPolicy {
  return mediaPolicySchema.parse(job.policy ?? {});
}

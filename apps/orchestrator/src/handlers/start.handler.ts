import { JobName, PayloadOf } from '@airlock/contracts';
import { PrismaClient, transitionMediaIn } from '@airlock/db';
import { PolicyLookup, PROBE_RENDITION } from '@airlock/domain';
import { policyOf } from '../planning/job-policy';
import { jobIdOf, QueueConnection, QueueName } from '@airlock/queue';

/**
 * upload-complete -> a job with a probe task, and the small flow `plan <- probe`.
 * Safe to repeat: an existing live job is reused and BullMQ dedupes by job id.
 */
export class StartHandler {
  constructor(
    private readonly db: PrismaClient,
    private readonly queues: QueueConnection,
    private readonly taskAttempts: number,
    private readonly policies: PolicyLookup,
  ) {}

  async handle({ mediaId }: PayloadOf<typeof JobName.MediaStart>): Promise<{ jobId?: string; skipped?: string }> {
    const job = await this.db.$transaction(async (tx) => {
      const existing = await tx.job.findFirst({ where: { mediaId, state: { notIn: ['failed', 'cancelled'] } } });
      if (existing) return existing;
      const media = await tx.media.findUnique({ where: { id: mediaId } });
      if (media?.state !== 'uploaded') return undefined;
      const policy = this.policies(media.tenantId);
      const created = await tx.job.create({ data: { mediaId, state: 'probing', policy } });
      await tx.task.create({
        data: { jobId: created.id, kind: 'probe', segmentIndex: 0, rendition: PROBE_RENDITION, lane: QueueName.Short },
      });
      await transitionMediaIn(tx, { mediaId, to: 'queued', jobId: created.id, reason: 'upload_complete' });
      return created;
    });
    if (!job) return { skipped: 'media_not_uploaded' };
    if (job.state !== 'probing') return { jobId: job.id, skipped: 'already_planned' };

    const media = await this.db.media.findUniqueOrThrow({ where: { id: mediaId } });
    const probeTask = await this.db.task.findUniqueOrThrow({
      where: { jobId_segmentIndex_rendition: { jobId: job.id, segmentIndex: 0, rendition: PROBE_RENDITION } },
    });
    await this.queues.addFlow({
      name: JobName.MediaPlan,
      queue: QueueName.Orchestrator,
      jobId: jobIdOf('plan', job.id),
      data: { mediaId, jobId: job.id },
      children: [
        {
          name: JobName.MediaProbe,
          queue: QueueName.Short,
          jobId: jobIdOf('probe', job.id),
          data: { mediaId, jobId: job.id, taskId: probeTask.id, sourceKey: media.sourceKey, keyTtlSec: policyOf(job).worker_key_ttl_seconds },
          attempts: this.taskAttempts,
          // The planner must learn a probe that failed for good, to fail the media with a reason.
          onFailure: 'report-to-parent',
        },
      ],
    });
    return { jobId: job.id };
  }
}

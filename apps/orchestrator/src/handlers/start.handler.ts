import { JobName, PayloadOf } from '@airlock/contracts';
import { PrismaClient, transitionMediaIn } from '@airlock/db';
import { PolicyLookup, PROBE_RENDITION, PROBE_SHORT_LANE_MAX_BYTES, probeLaneFor, probePriority } from '@airlock/domain';
import { jobIdOf, LaneQueue, QueueConnection, QueueName } from '@airlock/queue';
import { policyOf } from '../planning/job-policy';
import { FlowRebuilder } from '../recovery/flow-rebuilder';

/**
 * upload-complete -> a job with a probe task, and the small flow `plan <- probe`.
 * Safe to repeat: an existing live job is reused and BullMQ dedupes by job id.
 * A media an operator re-drove (`queued` again after failed_retryable) resumes its failed job:
 * done tasks stay done, failed ones run again under a new flow generation.
 */
export class StartHandler {
  constructor(
    private readonly db: PrismaClient,
    private readonly queues: QueueConnection,
    private readonly taskAttempts: number,
    private readonly policies: PolicyLookup,
    private readonly rebuilder: FlowRebuilder,
    private readonly probeShortLaneMaxBytes = PROBE_SHORT_LANE_MAX_BYTES,
  ) {}

  async handle({ mediaId }: PayloadOf<typeof JobName.MediaStart>): Promise<{ jobId?: string; skipped?: string; resumed?: boolean }> {
    const resumed = await this.resumeRedriven(mediaId);
    if (resumed) return { jobId: resumed, resumed: true };
    const job = await this.db.$transaction(async (tx) => {
      const existing = await tx.job.findFirst({ where: { mediaId, state: { notIn: ['failed', 'cancelled'] } } });
      if (existing) return existing;
      const media = await tx.media.findUnique({ where: { id: mediaId } });
      // `queued` without a live job: re-driven before it was ever planned.
      if (media?.state !== 'uploaded' && media?.state !== 'queued') return undefined;
      const policy = this.policies(media.tenantId);
      const lane: LaneQueue = probeLaneFor(Number(media.sourceSizeBytes), this.probeShortLaneMaxBytes);
      const created = await tx.job.create({ data: { mediaId, state: 'probing', policy } });
      await tx.task.create({
        data: { jobId: created.id, kind: 'probe', segmentIndex: 0, rendition: PROBE_RENDITION, lane },
      });
      if (media.state === 'uploaded') await transitionMediaIn(tx, { mediaId, to: 'queued', jobId: created.id, reason: 'upload_complete' });
      return created;
    });
    if (!job) return { skipped: 'media_not_uploaded' };
    if (job.state !== 'probing') return { jobId: job.id, skipped: 'already_planned' };

    const media = await this.db.media.findUniqueOrThrow({ where: { id: mediaId } });
    const probeTask = await this.db.task.findUniqueOrThrow({
      where: { jobId_segmentIndex_rendition_role: { jobId: job.id, segmentIndex: 0, rendition: PROBE_RENDITION, role: 'primary' } },
    });
    await this.queues.addFlow({
      name: JobName.MediaPlan,
      queue: QueueName.Orchestrator,
      jobId: jobIdOf('plan', job.id),
      data: { mediaId, jobId: job.id },
      children: [
        {
          name: JobName.MediaProbe,
          queue: probeTask.lane as LaneQueue,
          jobId: jobIdOf('probe', job.id),
          data: { mediaId, jobId: job.id, taskId: probeTask.id, sourceKey: media.sourceKey, keyTtlSec: policyOf(job).worker_key_ttl_seconds },
          attempts: this.taskAttempts,
          priority: probePriority(Number(media.sourceSizeBytes)),
          // The planner must learn a probe that failed for good, to fail the media with a reason.
          onFailure: 'report-to-parent',
        },
      ],
    });
    return { jobId: job.id };
  }

  /** A re-driven media whose last job failed after planning: reopen that job and rebuild its flow. */
  private async resumeRedriven(mediaId: string): Promise<string | undefined> {
    const job = await this.db.job.findFirst({ where: { mediaId }, orderBy: { createdAt: 'desc' }, include: { media: { select: { state: true } } } });
    if (!job || job.state !== 'failed' || job.plan === null || job.media.state !== 'queued') return undefined;
    const reopened = await this.db.$transaction(async (tx) => {
      const { count } = await tx.job.updateMany({
        where: { id: job.id, state: 'failed' },
        data: { state: job.tasksSucceeded >= job.tasksTotal ? 'packaging' : 'transcoding' },
      });
      if (count !== 1) return false;
      await tx.task.updateMany({ where: { jobId: job.id, state: { in: ['failed', 'cancelled'] } }, data: { state: 'queued', failureCode: null } });
      return transitionMediaIn(tx, { mediaId, jobId: job.id, to: 'processing', reason: 'redriven' });
    });
    if (reopened) await this.rebuilder.rebuild(job.id, job.generation, 'redriven');
    return job.id;
  }
}

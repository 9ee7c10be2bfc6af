import { JobName, ManifestResult, manifestResultSchema, MEDIA_FINISHED, PayloadOf } from '@airlock/contracts';
import { appendEvent, PrismaClient, processingOverState, transitionMedia, transitionMediaIn } from '@airlock/db';
import { RETRYABLE_REASONS, TERMINAL_REASONS } from '@airlock/domain';
import { JobContext } from '@airlock/queue';
import { ObjectStore } from '@airlock/storage';
import { outputInputSizeRatio } from '@airlock/telemetry';
import { policyOf } from '../planning/job-policy';
import { FlowRebuilder } from '../recovery/flow-rebuilder';
import { rerunRejectedTasks } from './rejected-tasks';
import { writeOutputPointers } from './output-pointers';

/**
 * The last step: write the canonical output pointers once and flip the media to `ready`
 * in one conditional write. Nothing is served before this, so no partial manifest is ever visible.
 */
export class PublishHandler {
  constructor(
    private readonly db: PrismaClient,
    private readonly store: ObjectStore,
    private readonly rebuilder: FlowRebuilder,
  ) {}

  async handle({ mediaId, jobId }: PayloadOf<typeof JobName.MediaPublish>, ctx: JobContext): Promise<{ outcome: string }> {
    // Already ready, failed, expired or deleted: a late or repeated publish changes nothing.
    if (await processingOverState(this.db, mediaId)) return { outcome: 'not_published' };
    const failed = Object.values(await ctx.failedChildren());
    if (failed.length > 0) {
      await this.fail(mediaId, jobId, 'failed_retryable', 'stage_failed', RETRYABLE_REASONS.stage_failed);
      return { outcome: 'stage_failed' };
    }
    const [value] = await ctx.childrenValues();
    const result: ManifestResult = manifestResultSchema.parse(value);
    // The verifier found the media finished (it moved on since): nothing to publish, nothing to fail.
    if (!result.ok && result.code === MEDIA_FINISHED) return { outcome: 'not_published' };
    if (!result.ok && result.rejected?.length) {
      // Outputs one worker is to blame for: those tasks run again elsewhere, then all is verified again.
      const rerun = await rerunRejectedTasks(this.db, this.rebuilder, jobId, result.rejected);
      if (rerun !== 'too_many') return { outcome: rerun === 'rerun' ? 'outputs_rejected' : 'not_published' };
    }
    if (!result.ok) {
      await this.fail(mediaId, jobId, 'failed_terminal', result.code, `${TERMINAL_REASONS.verification_failed} ${result.message}`);
      return { outcome: result.code };
    }

    const job = await this.db.job.findUniqueOrThrow({ where: { id: jobId }, select: { policy: true, media: { select: { sourceSizeBytes: true } } } });
    const expiresAt = new Date(Date.now() + policyOf(job).retention_sec * 1000);
    const published = await this.db.$transaction(async (tx) => {
      // The flip first: a media that is no longer verifying (deleted meanwhile) gets no pointers.
      const flipped = await transitionMediaIn(tx, {
        mediaId,
        jobId,
        to: 'ready',
        reason: 'published',
        data: { renditions: result.renditions, outputs: result.outputs.length },
        set: { manifestHlsKey: result.hlsKey, manifestDashKey: result.dashKey, expiresAt },
      });
      if (!flipped) return false;
      await writeOutputPointers(this.db, tx, mediaId, jobId, result);
      await tx.job.updateMany({ where: { id: jobId, state: 'packaging' }, data: { state: 'published' } });
      return true;
    });
    if (published) {
      const sourceBytes = Number(job.media.sourceSizeBytes);
      if (sourceBytes > 0) outputInputSizeRatio.observe(result.outputs.reduce((sum, o) => sum + o.sizeBytes, 0) / sourceBytes);
      await this.afterPublish(mediaId, jobId);
    }
    return { outcome: published ? 'ready' : 'not_published' };
  }

  /** The source has served its purpose: delete it now when the tenant's policy says so. */
  private async afterPublish(mediaId: string, jobId: string): Promise<void> {
    const job = await this.db.job.findUniqueOrThrow({ where: { id: jobId }, include: { media: { select: { sourceKey: true } } } });
    if (!policyOf(job).source_delete_after_success) return;
    await this.store.delete([job.media.sourceKey]);
    await appendEvent(this.db, { mediaId, jobId, type: 'source_deleted', reason: 'source_delete_after_success' });
  }

  private async fail(mediaId: string, jobId: string, to: 'failed_retryable' | 'failed_terminal', code: string, message: string) {
    await this.db.job.updateMany({ where: { id: jobId, state: { notIn: ['published', 'failed', 'cancelled'] } }, data: { state: 'failed' } });
    await transitionMedia(this.db, { mediaId, jobId, to, reason: code, set: { failureCode: code, failureMessage: message } });
  }
}

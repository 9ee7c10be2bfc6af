import { randomUUID } from 'node:crypto';
import { appendEvent, Prisma, PrismaClient, transitionMedia, transitionMediaIn } from '@airlock/db';
import { JobName, PayloadOf, Probe, ProbeJobResult, probeJobResultSchema } from '@airlock/contracts';
import { durationClass, isPreviewRendition, policyViolation, PROBE_RENDITION, TERMINAL_REASONS, TerminalReason } from '@airlock/domain';
import { JobContext, QueueConnection } from '@airlock/queue';
import { withDuplicates } from '../planning/duplicate-tasks';
import { buildMediaFlow, buildPreviewFlow, laneQueueOf, tasksOf } from '../planning/media-flow.builder';
import { policyOf } from '../planning/job-policy';
import { planMedia, PlanSettings } from '../planning/media-plan';

/** probe result -> plan, tasks and segments in Postgres -> the processing flow in Redis. */
export class PlanHandler {
  constructor(
    private readonly db: PrismaClient,
    private readonly queues: QueueConnection,
    private readonly settings: PlanSettings & { taskAttempts: number },
  ) {}

  async handle({ mediaId, jobId }: PayloadOf<typeof JobName.MediaPlan>, ctx: JobContext): Promise<{ outcome: string }> {
    const failed = Object.values(await ctx.failedChildren());
    if (failed.length > 0) {
      await this.fail(mediaId, jobId, 'failed_retryable', 'stage_failed', 'The probe failed after all retries.');
      return { outcome: 'probe_failed' };
    }
    const [value] = await ctx.childrenValues();
    const outcome: ProbeJobResult = probeJobResultSchema.parse(value);
    await this.recordProbeTask(jobId, outcome);
    if (!outcome.ok) {
      const known = outcome.code in TERMINAL_REASONS;
      const message = known ? TERMINAL_REASONS[outcome.code as TerminalReason] : outcome.message;
      await this.fail(mediaId, jobId, 'failed_terminal', outcome.code, `${message} ${known ? outcome.message : ''}`.trim());
      return { outcome: outcome.code };
    }

    const job = await this.db.job.findUniqueOrThrow({ where: { id: jobId }, include: { media: true } });
    if (job.state !== 'probing') return { outcome: 'already_planned' };
    const probe = outcome.probe;
    const policy = policyOf(job);
    const v = probe.video;
    const violation = policyViolation(policy, { durationSec: probe.durationSec, pixels: v ? v.width * v.height : undefined });
    if (violation) {
      await this.fail(mediaId, jobId, 'failed_terminal', violation.code, `${TERMINAL_REASONS[violation.code]} (${violation.detail})`);
      return { outcome: violation.code };
    }
    const plan = planMedia(probe, job.media.profiles, this.settings);
    if (plan.renditions.length === 0 && !plan.audio) {
      await this.fail(mediaId, jobId, 'failed_terminal', 'unsupported_codec', 'No stream can be transcoded.');
      return { outcome: 'nothing_to_do' };
    }
    const tasks = withDuplicates(tasksOf(plan, randomUUID), jobId, policy.verify_duplicate_fraction, randomUUID);

    const planned = await this.db.$transaction(async (tx) => {
      const { count } = await tx.job.updateMany({
        where: { id: jobId, state: 'probing' },
        data: {
          state: 'transcoding',
          lane: plan.lane,
          probe: probe as unknown as Prisma.InputJsonValue,
          plan: plan as unknown as Prisma.InputJsonValue,
          // The ladder's tasks: the preview sub-flow publishes on its own and is not waited for.
          tasksTotal: tasks.filter((t) => !isPreviewRendition(t.rendition)).length,
        },
      });
      if (count !== 1) return false;
      await tx.segment.createMany({ data: plan.segments.map((s) => ({ jobId, ...s })) });
      await tx.task.createMany({ data: tasks.map((t) => ({ id: t.id, jobId, kind: t.kind, segmentIndex: t.segmentIndex, rendition: t.rendition, role: t.role ?? 'primary', lane: laneQueueOf(plan, t.rendition) })) });
      await tx.media.update({ where: { id: mediaId }, data: { durationClass: durationClass(probe.durationSec) } });
      await appendEvent(tx, {
        mediaId,
        jobId,
        type: 'planned',
        reason: 'ladder_planned',
        data: {
          lane: plan.lane,
          renditions: plan.renditions.map((r) => `${r.name} ${r.width}x${r.height}${r.streamCopy ? ' stream-copy' : ''}`),
          preview: plan.preview ? `${plan.preview.rendition.name} ${plan.preview.rendition.width}x${plan.preview.rendition.height}, ${plan.preview.segments.length} segments` : null,
          skipped: plan.skipped,
          segments: plan.segments.length,
          gopAlignedCuts: plan.segments.filter((s) => s.gopAligned).length,
          audio: plan.audio,
          probe: summary(probe),
        },
      });
      return transitionMediaIn(tx, { mediaId, jobId, to: 'processing', reason: 'planned' });
    });
    if (!planned) return { outcome: 'not_planned' };

    const flowInput = {
      mediaId,
      jobId,
      sourceKey: job.media.sourceKey,
      durationSec: probe.durationSec,
      plan,
      tasks,
      taskAttempts: this.settings.taskAttempts,
      keyTtlSec: policy.worker_key_ttl_seconds,
      outputKeyId: job.media.outputKeyId,
    };
    // The preview first: its few tasks reach the lane ahead of the ladder's.
    const preview = buildPreviewFlow(flowInput);
    if (preview) await this.queues.addFlow(preview);
    await this.queues.addFlow(buildMediaFlow(flowInput));
    return { outcome: 'planned' };
  }

  /**
   * The probe task is recorded like every task, in one statement: it moves to `succeeded` with the
   * attempt that answered as its winner, and that attempt is closed with its outcome (a source the
   * probe refused: task and attempt `failed` with the reason). A repeat (the plan job delivered
   * again) finds the task done and changes nothing; the probe's other attempts are closed by the
   * watchdog (their results were not recorded) or when the media finishes.
   */
  private async recordProbeTask(jobId: string, result: ProbeJobResult): Promise<void> {
    const now = new Date();
    const state = result.ok ? 'succeeded' : 'failed';
    const code = result.ok ? null : result.code;
    const attemptId = result.attemptId ?? null;
    await this.db.$executeRaw`
      WITH done AS (
        UPDATE tasks SET state = ${state}::"TaskState", winning_attempt_id = ${result.ok ? attemptId : null}::uuid, failure_code = ${code}, updated_at = ${now}
        WHERE job_id = ${jobId}::uuid AND rendition = ${PROBE_RENDITION} AND role = 'primary' AND state IN ('queued', 'running')
        RETURNING id
      )
      UPDATE attempts SET state = ${state}::"AttemptState", finished_at = COALESCE(finished_at, ${now}), error_code = ${code},
        report = ${JSON.stringify(result.ok ? { ok: true } : { ok: false, code: result.code })}::jsonb
      WHERE id = ${attemptId}::uuid AND state = 'running' AND task_id IN (SELECT id FROM done)`;
  }

  private async fail(mediaId: string, jobId: string, to: 'failed_terminal' | 'failed_retryable', code: string, message: string) {
    await this.db.job.updateMany({ where: { id: jobId, state: { in: ['probing', 'transcoding'] } }, data: { state: 'failed' } });
    await transitionMedia(this.db, { mediaId, jobId, to, reason: code, set: { failureCode: code, failureMessage: message } });
  }
}

/** The probe summary shown to support: shape of the media, never content. */
function summary(probe: Probe) {
  return {
    durationClass: durationClass(probe.durationSec),
    video: probe.video
      ? { codec: probe.video.codec, width: probe.video.width, height: probe.video.height, rotation: probe.video.rotation, vfr: probe.video.variableFrameRate, hdr: probe.video.hdr, keyframes: probe.video.keyframeTimes.length }
      : null,
    audio: probe.audio ? { codec: probe.audio.codec, channels: probe.audio.channels } : null,
  };
}

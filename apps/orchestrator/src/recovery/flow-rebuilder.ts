import { appendEvent, PrismaClient } from '@airlock/db';
import { QueueConnection } from '@airlock/queue';
import { buildMediaFlow, buildPreviewFlow, FlowInput, PlannedTask } from '../planning/media-flow.builder';
import { policyOf } from '../planning/job-policy';
import { MediaPlan } from '../planning/media-plan';

/**
 * Postgres is the source of truth; Redis holds only the flows in motion. This puts a planned
 * job's flows back in Redis from Postgres alone, under a new generation (fresh queue job ids):
 * succeeded tasks keep their recorded reports and are not run again, the rest run anew.
 * Used when Redis lost the flow (restart recovery) and when an operator re-drives a failed job.
 */
export class FlowRebuilder {
  constructor(
    private readonly db: PrismaClient,
    private readonly queues: QueueConnection,
    private readonly settings: { taskAttempts: number },
  ) {}

  /** Returns false when another caller already rebuilt from this generation (replicas race safely). */
  async rebuild(jobId: string, fromGeneration: number, reason: string): Promise<boolean> {
    const { count } = await this.db.job.updateMany({ where: { id: jobId, generation: fromGeneration }, data: { generation: { increment: 1 } } });
    if (count !== 1) return false;
    const job = await this.db.job.findUniqueOrThrow({ where: { id: jobId }, include: { media: true, tasks: true } });
    const plan = job.plan as unknown as MediaPlan;
    const tasks: PlannedTask[] = job.tasks
      .filter((t) => t.kind !== 'probe')
      .map((t) => ({ id: t.id, kind: t.kind as PlannedTask['kind'], segmentIndex: t.segmentIndex, rendition: t.rendition, role: t.role, done: t.state === 'succeeded' }));
    const input: FlowInput = {
      mediaId: job.mediaId,
      jobId,
      sourceKey: job.media.sourceKey,
      durationSec: (job.probe as { durationSec: number }).durationSec,
      plan,
      tasks,
      taskAttempts: this.settings.taskAttempts,
      keyTtlSec: policyOf(job).worker_key_ttl_seconds,
      outputKeyId: job.media.outputKeyId,
      generation: job.generation,
    };
    // The preview again only while it has not been published.
    const preview = job.media.previewHlsKey ? undefined : buildPreviewFlow(input);
    if (preview) await this.queues.addFlow(preview);
    await this.queues.addFlow(buildMediaFlow(input));
    await appendEvent(this.db, {
      mediaId: job.mediaId,
      jobId,
      type: 'flow_rebuilt',
      reason,
      data: { generation: job.generation, tasksDone: tasks.filter((t) => t.done).length, tasksToRun: tasks.filter((t) => !t.done).length, preview: preview !== undefined },
    });
    return true;
  }
}

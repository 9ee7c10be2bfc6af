import { appendEvent, PrismaClient } from '@airlock/db';
import { QueueConnection } from '@airlock/queue';
import { buildEarlyFlow, buildMediaFlow, buildPreviewFlow, earlyRenditionsOf } from '../planning/media-flow.builder';
import { loadFlowInput } from '../planning/flow-input';

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
    const { input, previewPublished, earlyPublished } = await loadFlowInput(this.db, jobId, this.settings.taskAttempts);
    const tasks = input.tasks;
    // The preview again only while it has not been published.
    const preview = previewPublished ? undefined : buildPreviewFlow(input);
    if (preview) await this.queues.addFlow(preview);
    // The early stage now when its tasks are all done but it was never published (its flow was lost);
    // otherwise the record step that counts its last task queues it, as in the first flow.
    const early = earlyRenditionsOf(input.plan);
    const earlyReady = !earlyPublished && early.length > 0 && tasks.filter((t) => early.includes(t.rendition)).every((t) => t.done);
    const earlyFlow = earlyReady ? buildEarlyFlow(input) : undefined;
    if (earlyFlow) await this.queues.addFlow(earlyFlow);
    await this.queues.addFlow(buildMediaFlow(input));
    await appendEvent(this.db, {
      mediaId: input.mediaId,
      jobId,
      type: 'flow_rebuilt',
      reason,
      data: { generation: input.generation, tasksDone: tasks.filter((t) => t.done).length, tasksToRun: tasks.filter((t) => !t.done).length, preview: preview !== undefined, early: earlyFlow !== undefined },
    });
    return true;
  }
}

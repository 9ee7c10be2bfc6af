import { JobName } from '@airlock/contracts';
import { PrismaClient, transitionMedia } from '@airlock/db';
import { RETRYABLE_REASONS } from '@airlock/domain';
import { jobIdOf, QueueConnection, QueueName } from '@airlock/queue';
import { publishJobId } from '../planning/media-flow.builder';
import { StartHandler } from '../handlers/start.handler';
import { FlowRebuilder } from './flow-rebuilder';

/** Rebuilds of one job's flow before its media is failed (a flow that keeps dying is not luck). */
const MAX_REBUILDS = 10;

export interface ReconcileResult {
  readonly restarted: number;
  readonly reprobed: number;
  readonly rebuilt: number;
}

/**
 * Restart recovery: Postgres says what is in flight; Redis must hold a flow for each. Anything
 * Postgres has in motion without its flow in Redis (a flush, a lost write, a crash between the
 * commit and the enqueue) is put back. Media that made no progress for `graceMs` only, so a
 * planner between its commit and its enqueue is not raced. Safe on every replica at once.
 */
export class Reconciler {
  /** Where each scan left off: a run reads the next batch after it, so every row is reached however many are in flight. */
  private readonly cursors = new Map<string, string>();

  constructor(
    private readonly db: PrismaClient,
    private readonly queues: QueueConnection,
    private readonly start: StartHandler,
    private readonly rebuilder: FlowRebuilder,
    private readonly settings: { graceMs: number; batch: number },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async run(): Promise<ReconcileResult> {
    const quiet = { lt: new Date(this.clock().getTime() - this.settings.graceMs) };
    const take = this.settings.batch;
    const missing = async (queue: QueueName, id: string) => !(await this.queues.isAlive(queue, id));

    // Uploaded, never started: the start job is re-added under its own id (a no-op while it exists).
    const uploaded = await this.page('uploaded', (after) => this.db.media.findMany({ where: { state: 'uploaded', updatedAt: quiet, ...after }, select: { id: true }, orderBy: { id: 'asc' }, take }));
    let restarted = 0;
    for (const m of uploaded) {
      if (!(await missing(QueueName.Orchestrator, jobIdOf('start', m.id)))) continue;
      await this.queues.add(JobName.MediaStart, { mediaId: m.id }, { jobId: jobIdOf('start', m.id) });
      restarted++;
    }

    // Queued without a live job (re-driven, its start lost): the start handler resumes or begins one.
    const queued = await this.page('queued', (after) =>
      this.db.media.findMany({
        where: { state: 'queued', updatedAt: quiet, jobs: { none: { state: { in: ['probing', 'transcoding', 'packaging'] } } }, ...after },
        select: { id: true },
        orderBy: { id: 'asc' },
        take,
      }),
    );
    for (const m of queued) {
      await this.start.handle({ mediaId: m.id });
      restarted++;
    }

    // Probing without its plan <- probe flow.
    const probing = await this.page('probing', (after) =>
      this.db.job.findMany({ where: { state: 'probing', updatedAt: quiet, media: { state: 'queued' }, ...after }, select: { id: true, mediaId: true }, orderBy: { id: 'asc' }, take }),
    );
    let reprobed = 0;
    for (const j of probing) {
      if (!(await missing(QueueName.Orchestrator, jobIdOf('plan', j.id)))) continue;
      await this.start.handle({ mediaId: j.mediaId });
      reprobed++;
    }

    // Planned, processing, without a live root of its flow (lost, a fragment, or failed): rebuilt
    // from Postgres, a bounded number of times before the media is failed for a re-drive.
    const planned = await this.page('planned', (after) =>
      this.db.job.findMany({
        where: { state: { in: ['transcoding', 'packaging'] }, updatedAt: quiet, media: { state: { in: ['processing', 'preview_ready', 'verifying'] } }, ...after },
        select: { id: true, mediaId: true, generation: true },
        orderBy: { id: 'asc' },
        take,
      }),
    );
    let rebuilt = 0;
    for (const j of planned) {
      if (!(await missing(QueueName.Orchestrator, publishJobId(j.id, j.generation)))) continue;
      if (j.generation >= MAX_REBUILDS) {
        await this.db.job.updateMany({ where: { id: j.id, state: { in: ['transcoding', 'packaging'] } }, data: { state: 'failed' } });
        await transitionMedia(this.db, { mediaId: j.mediaId, jobId: j.id, to: 'failed_retryable', reason: 'stage_failed', set: { failureCode: 'stage_failed', failureMessage: RETRYABLE_REASONS.stage_failed } });
        continue;
      }
      if (await this.rebuilder.rebuild(j.id, j.generation, 'flow_missing_from_redis')) rebuilt++;
    }
    return { restarted, reprobed, rebuilt };
  }

  /** One batch of a scan, after where its last run stopped; a short batch ends the round and the next starts over. */
  private async page<T extends { id: string }>(scan: string, read: (after: { id?: { gt: string } }) => Promise<T[]>): Promise<T[]> {
    const last = this.cursors.get(scan);
    const rows = await read(last === undefined ? {} : { id: { gt: last } });
    const end = rows[rows.length - 1];
    if (rows.length < this.settings.batch || !end) this.cursors.delete(scan);
    else this.cursors.set(scan, end.id);
    return rows;
  }
}

import { JobName, manifestResultSchema, PayloadOf, StageReports } from '@airlock/contracts';
import { appendEvent, PrismaClient } from '@airlock/db';
import { JobContext, TerminalError } from '@airlock/queue';
import { writeOutputPointers } from './output-pointers';
import { winningReports } from './winning-reports';

/** States in which the early rungs are still worth pointing at: not yet ready, not failed, expired or deleted. */
const LIVE = ['processing', 'preview_ready', 'verifying'] as const;

/**
 * The early stage's last step: point at the verified manifests of the lowest rung and audio,
 * playable for the whole length while the higher rungs are still encoding. Then hand the
 * stage's reports to the ladder's verify, which checks the whole ladder again. A refused early
 * output is recorded here and judged there: the ladder's verify refuses it too, and its task
 * runs again. A failed task fails the ladder (its report is missing).
 */
export class EarlyHandler {
  constructor(private readonly db: PrismaClient) {}

  async handle({ mediaId, jobId, renditions }: PayloadOf<typeof JobName.EarlyPublish>, ctx: JobContext): Promise<StageReports> {
    const failed = Object.values(await ctx.failedChildren());
    const parsed = manifestResultSchema.safeParse((await ctx.childrenValues())[0]);
    const result = failed.length === 0 && parsed.success ? parsed.data : undefined;
    let outcome = 'early_published';
    if (!result?.ok) {
      outcome = 'early_failed';
      await appendEvent(this.db, { mediaId, jobId, type: outcome, reason: result && !result.ok ? result.code : 'stage_failed' });
    } else {
      const published = await this.db.$transaction(async (tx) => {
        const { count } = await tx.media.updateMany({
          where: { id: mediaId, state: { in: [...LIVE] } },
          data: { earlyHlsKey: result.hlsKey, earlyDashKey: result.dashKey, earlyRenditions: renditions },
        });
        if (count !== 1) return false;
        await writeOutputPointers(this.db, tx, mediaId, jobId, result);
        await appendEvent(tx, { mediaId, jobId, type: outcome, reason: outcome, data: { renditions } });
        return true;
      });
      if (!published) outcome = 'not_published';
    }
    try {
      return { outcome, reports: await winningReports(this.db, { jobId, rendition: { in: renditions } }) };
    } catch (e) {
      throw new TerminalError('task_failed', `the early stage has a task without a recorded report: ${(e as Error).message}`);
    }
  }
}

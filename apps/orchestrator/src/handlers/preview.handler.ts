import { JobName, manifestResultSchema, PayloadOf } from '@airlock/contracts';
import { appendEvent, PrismaClient, transitionMediaIn } from '@airlock/db';
import { JobContext } from '@airlock/queue';
import { writeOutputPointers } from './output-pointers';

/** States in which a verified preview is still worth pointing at (not failed, expired or deleted). */
const LIVE = ['processing', 'preview_ready', 'verifying', 'ready'] as const;

/**
 * The preview sub-flow's last step: point at the verified preview manifests and, while the
 * ladder is still running, move the media to `preview_ready`. A failed preview is recorded and
 * left at that: the ladder goes on, and the media is judged by the ladder alone.
 */
export class PreviewHandler {
  constructor(private readonly db: PrismaClient) {}

  async handle({ mediaId, jobId }: PayloadOf<typeof JobName.PreviewPublish>, ctx: JobContext): Promise<{ outcome: string }> {
    const failed = Object.values(await ctx.failedChildren());
    const parsed = manifestResultSchema.safeParse((await ctx.childrenValues())[0]);
    const result = failed.length === 0 && parsed.success ? parsed.data : undefined;
    if (!result?.ok) {
      const reason = result && !result.ok ? result.code : 'stage_failed';
      await appendEvent(this.db, { mediaId, jobId, type: 'preview_failed', reason });
      return { outcome: 'preview_failed' };
    }

    const published = await this.db.$transaction(async (tx) => {
      const { count } = await tx.media.updateMany({
        where: { id: mediaId, state: { in: [...LIVE] } },
        data: { previewHlsKey: result.hlsKey, previewDashKey: result.dashKey },
      });
      if (count !== 1) return false;
      await writeOutputPointers(this.db, tx, mediaId, jobId, result);
      // Only from `processing`: a ladder that finished first keeps its state.
      const moved = await transitionMediaIn(tx, { mediaId, jobId, to: 'preview_ready', reason: 'preview_published' });
      if (!moved) await appendEvent(tx, { mediaId, jobId, type: 'preview_published', reason: 'preview_published' });
      return true;
    });
    return { outcome: published ? 'preview_ready' : 'not_published' };
  }
}

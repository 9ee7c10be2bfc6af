import { JobName, manifestResultSchema, PayloadOf } from '@airlock/contracts';
import { appendEvent, PrismaClient } from '@airlock/db';
import { JobContext } from '@airlock/queue';
import { writeOutputPointers } from './output-pointers';

/** States in which the early rungs are worth pointing at: not failed, expired or deleted (a quick ladder may be ready first). */
const LIVE = ['processing', 'preview_ready', 'verifying', 'ready'] as const;

/**
 * The early stage's last step: point at the verified manifests of the lowest rung and audio,
 * playable for the whole length while the higher rungs still encode. A failed or refused early
 * stage is recorded and left at that: the ladder's verify checks the same outputs again, and
 * refuses them there (their tasks run again on another worker).
 */
export class EarlyHandler {
  constructor(private readonly db: PrismaClient) {}

  async handle({ mediaId, jobId, renditions }: PayloadOf<typeof JobName.EarlyPublish>, ctx: JobContext): Promise<{ outcome: string }> {
    const failed = Object.values(await ctx.failedChildren());
    const parsed = manifestResultSchema.safeParse((await ctx.childrenValues())[0]);
    const result = failed.length === 0 && parsed.success ? parsed.data : undefined;
    if (!result?.ok) {
      await appendEvent(this.db, { mediaId, jobId, type: 'early_failed', reason: result && !result.ok ? result.code : 'stage_failed' });
      return { outcome: 'early_failed' };
    }
    const published = await this.db.$transaction(async (tx) => {
      const { count } = await tx.media.updateMany({
        where: { id: mediaId, state: { in: [...LIVE] } },
        data: { earlyHlsKey: result.hlsKey, earlyDashKey: result.dashKey, earlyRenditions: renditions },
      });
      if (count !== 1) return false;
      await writeOutputPointers(this.db, tx, mediaId, jobId, result);
      await appendEvent(tx, { mediaId, jobId, type: 'early_published', reason: 'early_published', data: { renditions } });
      return true;
    });
    return { outcome: published ? 'early_published' : 'not_published' };
  }
}

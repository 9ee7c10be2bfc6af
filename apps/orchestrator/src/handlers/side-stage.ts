import { ManifestResult, manifestResultSchema, MEDIA_FINISHED } from '@airlock/contracts';
import { Prisma, PrismaClient, processingOverState } from '@airlock/db';
import { JobContext } from '@airlock/queue';
import { writeOutputPointers } from './output-pointers';

type Verified = Extract<ManifestResult, { ok: true }>;

/**
 * States in which a side stage's verified manifests are still worth pointing at: the ladder is
 * still running. Once it is ready (or the media failed, expired, was deleted) a side stage is late.
 */
const LIVE = ['processing', 'preview_ready', 'verifying'] as const;

/**
 * A side stage (the preview, the early rungs) publishes beside the ladder, never instead of it:
 * its verified manifest, or why there is none (a failed child, a refused output), or `late`
 * when the media's processing is already over: then nothing is written, not even an event.
 */
export async function sideStageManifest(db: PrismaClient, mediaId: string, ctx: JobContext): Promise<{ verified: Verified } | { reason: string } | { late: true }> {
  if (await processingOverState(db, mediaId)) return { late: true };
  const failed = Object.values(await ctx.failedChildren());
  const parsed = manifestResultSchema.safeParse((await ctx.childrenValues())[0]);
  const result = failed.length === 0 && parsed.success ? parsed.data : undefined;
  if (result?.ok) return { verified: result };
  if (result?.code === MEDIA_FINISHED) return { late: true };
  return { reason: result && !result.ok ? result.code : 'stage_failed' };
}

/**
 * In one transaction: point the media at the stage's manifests (`pointers`) while it is live,
 * write the output pointers, then `andThen` (the stage's event or transition). False, and
 * nothing written, when the media is no longer live.
 */
export async function pointMediaAtStage(
  db: PrismaClient,
  ids: { mediaId: string; jobId: string },
  verified: Verified,
  pointers: Prisma.MediaUpdateManyMutationInput,
  andThen: (tx: Prisma.TransactionClient) => Promise<unknown>,
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.media.updateMany({ where: { id: ids.mediaId, state: { in: [...LIVE] } }, data: pointers });
    if (count !== 1) return false;
    await writeOutputPointers(db, tx, ids.mediaId, ids.jobId, verified);
    await andThen(tx);
    return true;
  });
}

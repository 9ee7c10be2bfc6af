import { ManifestResult } from '@airlock/contracts';
import { Prisma, PrismaClient } from '@airlock/db';
import { AUDIO_RENDITION } from '@airlock/domain';

type Verified = Extract<ManifestResult, { ok: true }>;

/**
 * Canonical output pointers, written once per object key (insert-or-ignore): what publish
 * (and the preview's publish) hands to recipients, and what the sweeper keeps.
 */
export async function writeOutputPointers(db: PrismaClient, tx: Prisma.TransactionClient, mediaId: string, jobId: string, result: Verified): Promise<void> {
  const ownerOf = await taskOwners(db, jobId);
  const verifiedAt = new Date();
  await tx.output.createMany({
    data: result.outputs.map((o) => ({
      mediaId,
      taskId: ownerOf(o.rendition, o.kind === 'init' ? -1 : o.segmentIndex),
      kind: o.kind,
      rendition: o.rendition,
      segmentIndex: o.segmentIndex,
      key: o.key,
      sha256: o.sha256,
      sizeBytes: BigInt(o.sizeBytes),
      durationSec: o.kind === 'media' ? o.duration / o.timescale : null,
      verifiedAt,
    })),
    skipDuplicates: true,
  });
}

/** A video task owns its segment; the audio task owns every audio object; a shared init has no single owner. */
async function taskOwners(db: PrismaClient, jobId: string): Promise<(rendition: string, segmentIndex: number) => string | null> {
  const tasks = await db.task.findMany({ where: { jobId }, select: { id: true, rendition: true, segmentIndex: true, kind: true } });
  const audio = tasks.find((t) => t.kind === 'audio')?.id ?? null;
  const video = new Map(tasks.filter((t) => t.kind === 'video').map((t) => [`${t.rendition}/${t.segmentIndex}`, t.id]));
  return (rendition, segmentIndex) => (rendition === AUDIO_RENDITION ? audio : (video.get(`${rendition}/${segmentIndex}`) ?? null));
}

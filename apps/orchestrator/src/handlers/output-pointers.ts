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
  const buildOf = await encoderBuilds(db, jobId);
  const verifiedAt = new Date();
  await tx.output.createMany({
    data: result.outputs.map((o) => ({
      mediaId,
      taskId: ownerOf(o.rendition, o.kind === 'init' ? -1 : o.segmentIndex),
      encoderBuild: buildOf(ownerOf(o.rendition, o.kind === 'init' ? -1 : o.segmentIndex), o.rendition),
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

/** The encoder build of the winning attempt of a task; a shared init takes its rendition's. */
async function encoderBuilds(db: PrismaClient, jobId: string): Promise<(taskId: string | null, rendition: string) => string | null> {
  const tasks = await db.task.findMany({ where: { jobId, winningAttemptId: { not: null } }, select: { id: true, rendition: true, winningAttemptId: true } });
  const attempts = await db.attempt.findMany({ where: { id: { in: tasks.map((t) => t.winningAttemptId ?? '') } }, select: { id: true, encoderBuild: true } });
  const buildOfAttempt = new Map(attempts.map((a) => [a.id, a.encoderBuild]));
  const byTask = new Map(tasks.map((t) => [t.id, buildOfAttempt.get(t.winningAttemptId ?? '') ?? null]));
  const byRendition = new Map(tasks.map((t) => [t.rendition, byTask.get(t.id) ?? null]));
  return (taskId, rendition) => (taskId ? (byTask.get(taskId) ?? null) : (byRendition.get(rendition) ?? null));
}

/** A video task owns its segment; the audio task owns every audio object; a shared init has no single owner. */
async function taskOwners(db: PrismaClient, jobId: string): Promise<(rendition: string, segmentIndex: number) => string | null> {
  // A sampled slot's duplicate agreed with its primary; the primary owns the output.
  const tasks = await db.task.findMany({ where: { jobId, role: 'primary' }, select: { id: true, rendition: true, segmentIndex: true, kind: true } });
  const audio = tasks.find((t) => t.kind === 'audio')?.id ?? null;
  const video = new Map(tasks.filter((t) => t.kind === 'video').map((t) => [`${t.rendition}/${t.segmentIndex}`, t.id]));
  return (rendition, segmentIndex) => (rendition === AUDIO_RENDITION ? audio : (video.get(`${rendition}/${segmentIndex}`) ?? null));
}

import { isProcessingOver, MediaState, PROCESSING_OVER, sourcesOf } from '@airlock/domain';
import { Prisma, PrismaClient } from '../generated/prisma/client';
import { recordWebhookEvent } from './webhook-outbox';

type Db = PrismaClient | Prisma.TransactionClient;

export interface TransitionInput {
  readonly mediaId: string;
  readonly to: MediaState;
  readonly jobId?: string;
  readonly reason?: string;
  readonly data?: Prisma.InputJsonValue;
  /** Extra columns written in the same guarded update. */
  readonly set?: Omit<Prisma.MediaUpdateManyMutationInput, 'state'>;
}


/**
 * One guarded write per transition (`WHERE state IN <legal sources>`), recorded in the
 * timeline and, when the new state concerns recipients, in the webhook outbox, all in the same
 * transaction. Returns false when the media was not in a state that
 * allows the move: a duplicate, stale or late caller changes nothing.
 */
export async function transitionMedia(db: PrismaClient, input: TransitionInput): Promise<boolean> {
  return db.$transaction((tx) => transitionMediaIn(tx, input));
}

/**
 * A concurrent transition can commit between the read and the guarded write (the preview
 * published while the last task is counted): the write then matches nothing, and the state is
 * read again and judged again rather than the move being lost. Each retry sees a newer state,
 * and the state machine only moves forward, so a few suffice.
 */
const RACED_TRANSITION_RETRIES = 5;

export async function transitionMediaIn(tx: Prisma.TransactionClient, input: TransitionInput): Promise<boolean> {
  const from = sourcesOf(input.to);
  let current: { state: MediaState } | null = null;
  for (let attempt = 0; attempt < RACED_TRANSITION_RETRIES && !current; attempt++) {
    const seen = await tx.media.findUnique({ where: { id: input.mediaId }, select: { state: true } });
    if (!seen || !from.includes(seen.state)) return false;
    const { count } = await tx.media.updateMany({
      where: { id: input.mediaId, state: seen.state },
      data: { ...input.set, state: input.to },
    });
    if (count === 1) current = seen;
  }
  if (!current) return false;
  if (isProcessingOver(input.to)) {
    // The media's processing is over: no attempt may read its source or write outputs any more.
    await tx.grant.updateMany({ where: { mediaId: input.mediaId, revokedAt: null }, data: { revokedAt: new Date() } });
    await endProcessing(tx, input.mediaId, input.to);
  }
  await appendEvent(tx, {
    mediaId: input.mediaId,
    jobId: input.jobId,
    type: 'state_changed',
    fromState: current.state,
    toState: input.to,
    reason: input.reason,
    data: input.data,
  });
  await recordWebhookEvent(tx, input.mediaId, input.to, input.reason);
  return true;
}

/**
 * Every attempt still running ends with its media (`stale`, the reason `media_<state>`; a released
 * one keeps its finish time), and every task not done is cancelled, so a late result is answered
 * as a cancelled task's and counts nothing. A re-drive (failed_retryable) queues cancelled tasks
 * again. One statement: it runs in every finishing transaction.
 */
async function endProcessing(tx: Prisma.TransactionClient, mediaId: string, to: MediaState): Promise<void> {
  const now = new Date();
  await tx.$executeRaw`
    WITH live AS (
      SELECT t.id FROM tasks t JOIN jobs j ON j.id = t.job_id WHERE j.media_id = ${mediaId}::uuid
    ), cancelled AS (
      UPDATE tasks SET state = 'cancelled', updated_at = ${now} WHERE id IN (SELECT id FROM live) AND state IN ('queued', 'running')
    )
    UPDATE attempts SET state = 'stale', error_code = ${`media_${to}`}, finished_at = COALESCE(finished_at, ${now})
    WHERE task_id IN (SELECT id FROM live) AND state = 'running'`;
}

/**
 * The media's state when its processing is over (PROCESSING_OVER), else undefined: a stage that
 * finds one does nothing and writes nothing.
 */
export async function processingOverState(db: Db, mediaId: string): Promise<MediaState | undefined> {
  const media = await db.media.findUnique({ where: { id: mediaId }, select: { state: true } });
  if (!media) return 'deleted';
  return PROCESSING_OVER.includes(media.state) ? media.state : undefined;
}

export interface EventInput {
  readonly mediaId: string;
  readonly jobId?: string;
  readonly type: string;
  readonly fromState?: string;
  readonly toState?: string;
  readonly reason?: string;
  readonly data?: Prisma.InputJsonValue;
}

/** The explain timeline is append-only; callers pass reason codes and classes, never content. */
export async function appendEvent(db: Db, e: EventInput): Promise<void> {
  await db.event.create({ data: { ...e } });
}

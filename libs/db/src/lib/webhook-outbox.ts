import { MediaState, recipientStatus, webhookEventFor } from '@airlock/domain';
import { Prisma, PrismaClient } from '../generated/prisma/client';

/**
 * The webhook outbox write, in the transaction that moved the media: the event exists if and
 * only if the state change committed. The media row hands out the per-media sequence number,
 * so concurrent transitions of one media (serialized by the row lock) get 1, 2, 3...
 * The payload is ids, states and reason codes only: never content, keys or URLs.
 */
export async function recordWebhookEvent(tx: Prisma.TransactionClient, mediaId: string, state: MediaState, reason?: string): Promise<void> {
  const type = webhookEventFor(state);
  if (!type) return;
  const media = await tx.media.update({
    where: { id: mediaId },
    data: { eventSeq: { increment: 1 } },
    select: { eventSeq: true, tenantId: true, failureCode: true },
  });
  // A failure names its failure code; other events the transition's reason code, if any.
  const why = type === 'failed' ? (media.failureCode ?? reason) : reason;
  await tx.webhookEvent.create({
    data: {
      mediaId,
      tenantId: media.tenantId,
      seq: media.eventSeq,
      type,
      data: { state, recipientStatus: recipientStatus(state), ...(why ? { reason: why } : {}) },
    },
  });
}

/**
 * Sends a media's events again from `fromSeq` (all by default), in order, under their original
 * ids and seqs so receivers deduplicate. Returns how many were marked.
 */
export async function replayWebhookEvents(db: PrismaClient | Prisma.TransactionClient, mediaId: string, fromSeq = 1, now = new Date()): Promise<number> {
  const { count } = await db.webhookEvent.updateMany({
    where: { mediaId, seq: { gte: fromSeq } },
    data: { deliveryState: 'pending', attempts: 0, nextAttemptAt: now, deliveredAt: null, lastError: null },
  });
  return count;
}

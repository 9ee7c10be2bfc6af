import { z } from 'zod';

/** PUT /v1/webhook-endpoint: where the tenant's chat backend receives events. */
export const webhookEndpointRequestSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2048),
});
export type WebhookEndpointRequest = z.infer<typeof webhookEndpointRequestSchema>;

/** The answer to PUT: the signing secret is shown here once and never again. */
export interface WebhookEndpointCreated {
  url: string;
  secret: string;
}

export interface WebhookEndpointView {
  url: string | null;
  configured: boolean;
}

/** POST /v1/media/:id/webhooks/replay: send the media's events again from `fromSeq` (all when absent). */
export const webhookReplayRequestSchema = z.object({ fromSeq: z.number().int().min(1).optional() }).strict();
export type WebhookReplayRequest = z.infer<typeof webhookReplayRequestSchema>;

export interface WebhookReplayResponse {
  replayed: number;
}

export interface WebhookDeliveryView {
  id: string;
  seq: number;
  type: string;
  deliveryState: 'pending' | 'delivered' | 'failed';
  attempts: number;
  deliveredAt: string | null;
  lastError: string | null;
}

export interface WebhookDeliveryList {
  mediaId: string;
  events: WebhookDeliveryView[];
}

/**
 * The JSON body of a delivery. Receivers deduplicate on `id` (a replay re-sends the same id)
 * and can drop a `seq` lower than the last they applied for the media. Ids, states and reason
 * codes only: never content, keys or URLs.
 */
export interface WebhookEventBody {
  id: string;
  type: 'preparing' | 'preview_available' | 'ready' | 'failed' | 'expired' | 'removed';
  mediaId: string;
  seq: number;
  state: string;
  recipientStatus: string;
  reason?: string;
  occurredAt: string;
}

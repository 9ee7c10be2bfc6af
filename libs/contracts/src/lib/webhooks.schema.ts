import { z } from 'zod';
import { noNul } from './text.schema';

/** PUT /v1/webhook-endpoint: where the tenant's chat backend receives events. */
export const webhookEndpointRequestSchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
      .max(2048)
      .check(noNul)
      .meta({ examples: ['https://chat.example/hooks/airlock'] }),
  })
  .meta({ id: 'WebhookEndpointRequest' });
export type WebhookEndpointRequest = z.infer<typeof webhookEndpointRequestSchema>;

/** The answer to PUT: the signing secret is shown here once and never again. */
export const webhookEndpointCreatedSchema = z.object({ url: z.string(), secret: z.string() }).meta({ id: 'WebhookEndpointCreated' });
export type WebhookEndpointCreated = z.infer<typeof webhookEndpointCreatedSchema>;

export const webhookEndpointViewSchema = z.object({ url: z.string().nullable(), configured: z.boolean() }).meta({ id: 'WebhookEndpointView' });
export type WebhookEndpointView = z.infer<typeof webhookEndpointViewSchema>;

/** POST /v1/media/:id/webhooks/replay: send the media's events again from `fromSeq` (all when absent). */
export const webhookReplayRequestSchema = z
  .object({ fromSeq: z.number().int().min(1).optional() })
  .strict()
  .meta({ id: 'WebhookReplayRequest' });
export type WebhookReplayRequest = z.infer<typeof webhookReplayRequestSchema>;

export const webhookReplayResponseSchema = z.object({ replayed: z.number().int() }).meta({ id: 'WebhookReplayResponse' });
export type WebhookReplayResponse = z.infer<typeof webhookReplayResponseSchema>;

export const webhookDeliveryViewSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    type: z.string(),
    deliveryState: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    deliveredAt: z.string().nullable(),
    lastError: z.string().nullable(),
  })
  .meta({ id: 'WebhookDeliveryView' });
export type WebhookDeliveryView = z.infer<typeof webhookDeliveryViewSchema>;

export const webhookDeliveryListSchema = z.object({ mediaId: z.string(), events: z.array(webhookDeliveryViewSchema) }).meta({ id: 'WebhookDeliveryList' });
export type WebhookDeliveryList = z.infer<typeof webhookDeliveryListSchema>;

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

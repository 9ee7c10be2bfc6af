import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { WebhookDeliveryList, WebhookEndpointCreated, WebhookEndpointRequest, WebhookEndpointView, WebhookReplayRequest, WebhookReplayResponse } from '@airlock/contracts';
import { replayWebhookEvents } from '@airlock/db';
import { API_DEPS, ApiDeps } from '../api.deps';
import { notFound } from '../http/api-error';

/** A tenant's webhook endpoint, and the deliveries of its media (the outbox rows, never their payloads' secrets). */
@Injectable()
export class WebhooksService {
  constructor(@Inject(API_DEPS) private readonly deps: ApiDeps) {}

  /** Sets (or replaces) the endpoint with a fresh signing secret, returned this once only. */
  async setEndpoint(tenantId: string, body: WebhookEndpointRequest): Promise<WebhookEndpointCreated> {
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    await this.deps.db.tenant.update({ where: { id: tenantId }, data: { webhookUrl: body.url, webhookSecret: secret } });
    return { url: body.url, secret };
  }

  async endpoint(tenantId: string): Promise<WebhookEndpointView> {
    const tenant = await this.deps.db.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { webhookUrl: true } });
    return { url: tenant.webhookUrl, configured: tenant.webhookUrl !== null };
  }

  /** Events keep accumulating while no endpoint is set; they are delivered once one is. */
  async clearEndpoint(tenantId: string): Promise<WebhookEndpointView> {
    await this.deps.db.tenant.update({ where: { id: tenantId }, data: { webhookUrl: null, webhookSecret: null } });
    return { url: null, configured: false };
  }

  async deliveries(tenantId: string, mediaId: string): Promise<WebhookDeliveryList> {
    await this.findMedia(tenantId, mediaId);
    const events = await this.deps.db.webhookEvent.findMany({ where: { mediaId }, orderBy: { seq: 'asc' } });
    return {
      mediaId,
      events: events.map((e) => ({
        id: e.id,
        seq: e.seq,
        type: e.type,
        deliveryState: e.deliveryState,
        attempts: e.attempts,
        deliveredAt: e.deliveredAt?.toISOString() ?? null,
        lastError: e.lastError,
      })),
    };
  }

  /** Marks the media's events from `fromSeq` pending again; they are re-sent in order under the same ids. */
  async replay(tenantId: string, mediaId: string, body: WebhookReplayRequest): Promise<WebhookReplayResponse> {
    await this.findMedia(tenantId, mediaId);
    return { replayed: await replayWebhookEvents(this.deps.db, mediaId, body.fromSeq) };
  }

  /** Tenant-scoped: another tenant's media is indistinguishable from a missing one. */
  private async findMedia(tenantId: string, id: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound();
    const media = await this.deps.db.media.findFirst({ where: { id, tenantId }, select: { id: true } });
    if (!media) throw notFound();
  }
}

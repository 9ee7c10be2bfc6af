import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { WebhookDeliveryList, WebhookEndpointCreated, WebhookEndpointRequest, WebhookEndpointView, WebhookReplayRequest, WebhookReplayResponse } from '@airlock/contracts';
import { webhookTargetPolicyFrom } from '@airlock/config';
import { replayWebhookEvents } from '@airlock/db';
import { webhookDeliveryErrorOf, webhookUrlRefusal, WebhookTargetRefusal } from '@airlock/domain';
import { API_DEPS, ApiDeps } from '../api.deps';
import { ApiError, notFound } from '../http/api-error';

/** A tenant's webhook endpoint, and the deliveries of its media (the outbox rows, never their payloads' secrets). */
@Injectable()
export class WebhooksService {
  constructor(@Inject(API_DEPS) private readonly deps: ApiDeps) {}

  /** Sets (or replaces) the endpoint with a fresh signing secret, returned this once only. */
  async setEndpoint(tenantId: string, body: WebhookEndpointRequest): Promise<WebhookEndpointCreated> {
    const refusal = webhookUrlRefusal(body.url, webhookTargetPolicyFrom(this.deps.config));
    if (refusal) throw new ApiError(422, 'webhook_target_forbidden', refusalMessage(refusal), refusal);
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
        // A class only (unreachable, timeout, http_<status>, forbidden_target, tls_error); older rows held socket errors.
        lastError: e.lastError === null ? null : webhookDeliveryErrorOf(e.lastError),
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

function refusalMessage(refusal: WebhookTargetRefusal): string {
  switch (refusal.reason) {
    case 'invalid_url':
      return 'The webhook URL is not a URL.';
    case 'scheme':
      return 'Webhooks are sent over http or https only.';
    case 'userinfo':
      return 'The webhook URL must not carry a user name or password; authenticate deliveries by their signature.';
    case 'insecure_http':
      return 'Webhooks are sent over https only.';
    case 'local_name':
      return 'The webhook host is a local name; give a public host name.';
    case 'forbidden_address':
      return `The webhook host is a ${refusal.kind.replace('_', '-')} address; webhooks go to public addresses only.`;
  }
}

import { z } from 'zod';
import { OrchestratorConfig, webhookTargetPolicyFrom } from '@airlock/config';
import type { WebhookEventBody } from '@airlock/contracts';
import { signWebhook, WEBHOOK_EVENT_ID_HEADER, WEBHOOK_SIGNATURE_HEADER } from '@airlock/crypto/node';
import { appendEvent, PrismaClient } from '@airlock/db';
import { httpDeliveryError, WebhookDeliveryError, webhookDeliveryErrorOf, WebhookEventType, webhookRetryDelayMs, WebhookRetryPolicy, WebhookTargetPolicy } from '@airlock/domain';
import type { Logger } from '@airlock/telemetry';
import { HostResolver, pinnedWebhookSender, WebhookDeliveryFailure, WebhookSender } from './pinned-webhook-sender';

export interface WebhookDispatcherSettings {
  readonly pollMs: number;
  readonly timeoutMs: number;
  readonly retry: WebhookRetryPolicy;
  /** Events claimed per round, all sent at once (at most one per media). */
  readonly batch: number;
  /**
   * How long a claim keeps an event from other replicas: its send and outcome write must fit,
   * and a replica that died mid-send hands the event back (sent again: at least once) after it.
   */
  readonly leaseMs: number;
  /** Where deliveries may go: judged on the URL and on every resolved address before each send. */
  readonly targets: WebhookTargetPolicy;
}

export function webhookSettingsFrom(config: OrchestratorConfig): WebhookDispatcherSettings {
  return {
    pollMs: config.WEBHOOK_POLL_MS,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    retry: { baseMs: config.WEBHOOK_BACKOFF_BASE_MS, capMs: config.WEBHOOK_BACKOFF_CAP_MS, maxAttempts: config.WEBHOOK_MAX_ATTEMPTS },
    batch: 16,
    leaseMs: config.WEBHOOK_TIMEOUT_MS + 30_000,
    targets: webhookTargetPolicyFrom(config),
  };
}

export interface WebhookDispatcherDeps {
  /** Replaces the whole sender (the target rules included). */
  readonly send?: WebhookSender;
  /** The real sender, with host names resolved here instead of by DNS. */
  readonly resolve?: HostResolver;
  readonly clock?: () => Date;
  readonly random?: () => number;
}

export interface WebhookRound {
  readonly claimed: number;
  readonly delivered: number;
  readonly failed: number;
}

interface ClaimedRow {
  id: string;
  mediaId: string;
  seq: number;
  type: string;
  data: unknown;
  attempts: number;
  createdAt: Date;
  url: string;
  secret: string;
}

const eventDataSchema = z.object({ state: z.string(), recipientStatus: z.string(), reason: z.string().optional() });

const USER_AGENT = 'Airlock-Webhooks/1';

/**
 * Delivers the webhook outbox at least once, per media in sequence order. Each round claims due
 * events with `FOR UPDATE SKIP LOCKED` and leases them (next_attempt_at moves past the send),
 * so replicas never send one event at the same time and no transaction stays open across HTTP.
 * Only the lowest pending seq of a media is due: a later event waits for an earlier one. Events
 * of a tenant without an endpoint stay pending until it sets one.
 */
export class WebhookDispatcher {
  private readonly send: WebhookSender;
  private readonly clock: () => Date;
  private readonly random: () => number;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly db: PrismaClient,
    private readonly settings: WebhookDispatcherSettings,
    deps: WebhookDispatcherDeps = {},
  ) {
    this.send = deps.send ?? pinnedWebhookSender(settings.targets, deps.resolve);
    this.clock = deps.clock ?? (() => new Date());
    this.random = deps.random ?? Math.random;
  }

  start(log?: Pick<Logger, 'warn'>): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run(log);
  }

  /** Stops polling and waits for the round in flight (its sends are bounded by the timeout). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(log?: Pick<Logger, 'warn'>): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = (await this.runOnce()).claimed;
      } catch (e) {
        log?.warn({ err: (e as Error).name }, 'webhook round failed');
      }
      // A full round may have left due events (and the next seq of each media just delivered).
      if (claimed === 0 && this.running) await this.sleep(this.settings.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** One round: claim, send everything claimed concurrently, record each outcome. */
  async runOnce(): Promise<WebhookRound> {
    const claimed = await this.claim();
    const outcomes = await Promise.all(claimed.map((row) => this.deliver(row)));
    return { claimed: claimed.length, delivered: outcomes.filter(Boolean).length, failed: outcomes.filter((ok) => !ok).length };
  }

  private async claim(): Promise<ClaimedRow[]> {
    const now = this.clock();
    return this.db.$transaction(async (tx) => {
      // OF e: lock the event rows only; locking the tenant row would make replicas skip each other's tenants.
      const rows = await tx.$queryRaw<ClaimedRow[]>`
        SELECT e.id, e.media_id AS "mediaId", e.seq, e.type, e.data, e.attempts, e.created_at AS "createdAt",
               t.webhook_url AS url, t.webhook_secret AS secret
        FROM webhook_events e
        JOIN tenants t ON t.id = e.tenant_id
        WHERE e.delivery_state = 'pending'
          AND e.next_attempt_at <= ${now}
          AND t.webhook_url IS NOT NULL AND t.webhook_secret IS NOT NULL
          AND NOT EXISTS (
            SELECT 1 FROM webhook_events p
            WHERE p.media_id = e.media_id AND p.delivery_state = 'pending' AND p.seq < e.seq
          )
        ORDER BY e.next_attempt_at, e.seq
        LIMIT ${this.settings.batch}
        FOR UPDATE OF e SKIP LOCKED`;
      if (rows.length > 0) {
        await tx.webhookEvent.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { nextAttemptAt: new Date(now.getTime() + this.settings.leaseMs) } });
      }
      return rows;
    });
  }

  private async deliver(row: ClaimedRow): Promise<boolean> {
    let status: number | WebhookDeliveryError;
    try {
      const body = bodyOf(row);
      status = await this.send({
        url: row.url,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': USER_AGENT,
          [WEBHOOK_EVENT_ID_HEADER]: row.id,
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(row.secret, body, this.clock()),
        },
        body,
        timeoutMs: this.settings.timeoutMs,
      });
    } catch (e) {
      status = errorClass(e);
    }
    const ok = typeof status === 'number' && status >= 200 && status < 300;
    await this.record(row, ok, status);
    return ok;
  }

  private async record(row: ClaimedRow, ok: boolean, status: number | WebhookDeliveryError): Promise<void> {
    const now = this.clock();
    const attempts = row.attempts + 1;
    const retryIn = ok ? undefined : webhookRetryDelayMs(attempts, this.settings.retry, this.random);
    await this.db.$transaction(async (tx) => {
      // Guarded: a replay that reset the event while it was in flight keeps its own schedule.
      const { count } = await tx.webhookEvent.updateMany({
        where: { id: row.id, deliveryState: 'pending', attempts: row.attempts },
        data: ok
          ? { deliveryState: 'delivered', deliveredAt: now, attempts, lastError: null }
          : {
              attempts,
              lastError: typeof status === 'number' ? httpDeliveryError(status) : status,
              ...(retryIn === undefined ? { deliveryState: 'failed' } : { nextAttemptAt: new Date(now.getTime() + retryIn) }),
            },
      });
      if (count === 0) return;
      await appendEvent(tx, { mediaId: row.mediaId, type: ok ? 'webhook_delivered' : 'webhook_failed', reason: row.type, data: { seq: row.seq, attempts, status } });
    });
  }
}

/** The delivery body: ids, states and reason codes as the outbox stored them. */
function bodyOf(row: ClaimedRow): string {
  const data = eventDataSchema.parse(row.data);
  const body: WebhookEventBody = {
    id: row.id,
    type: row.type as WebhookEventType,
    mediaId: row.mediaId,
    seq: row.seq,
    state: data.state,
    recipientStatus: data.recipientStatus,
    ...(data.reason ? { reason: data.reason } : {}),
    occurredAt: row.createdAt.toISOString(),
  };
  return JSON.stringify(body);
}

/** What went wrong, as a class the tenant may see: never the message or socket error (they name addresses and ports). */
function errorClass(e: unknown): WebhookDeliveryError {
  if (e instanceof WebhookDeliveryFailure) return e.errorClass;
  const err = e as { name?: unknown; code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = [err?.cause?.code, err?.code, err?.name].find((c): c is string => typeof c === 'string');
  return webhookDeliveryErrorOf(code);
}

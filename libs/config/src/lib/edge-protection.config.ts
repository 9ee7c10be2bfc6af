import { z } from 'zod';
import type { WebhookTargetPolicy } from '@airlock/domain';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');
const count = (fallback: number) => z.coerce.number().int().min(1).max(1_000_000).default(fallback);

/** Where webhooks may go (api: checked when the endpoint is set; orchestrator: checked again on every resolved address). */
export const webhookTargetEnv = {
  /**
   * Private, loopback, link-local and metadata targets too: for a local receiver in development
   * and tests only (`airlock up` and the e2e suites set it); refused with NODE_ENV=production.
   */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: bool(false),
};

/**
 * Requests the api answers per fixed window before it answers 429 (Redis counters shared by
 * every replica). Sized well above the benchmarks' peaks: the 600-worker scale model sends about
 * 50 requests/s per worker process (200 attempts each), the control-plane bench about 45.
 */
export const rateLimitEnv = {
  RATE_LIMIT_ENABLED: bool(true),
  RATE_LIMIT_WINDOW_SEC: z.coerce.number().int().min(1).max(3600).default(10),
  /** Per tenant (its API key), over every tenant route. */
  RATE_LIMIT_PER_TENANT: count(1000),
  /** Per source address: tenant routes (authenticated or not), `GET /v1/keys`, and grant calls whose token does not verify. */
  RATE_LIMIT_PER_ADDRESS: count(1000),
  /** Per worker identity (the verified token's `iss`: one worker process, all its attempts) on the grant routes. */
  RATE_LIMIT_PER_WORKER: count(2000),
  /** Proxies in front of the api whose X-Forwarded-For is trusted for the source address (0: the peer is the client). */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
};

type WebhookTargetSettings = { NODE_ENV: string; WEBHOOK_ALLOW_PRIVATE_TARGETS: boolean };

/** The private-target switch is for development only. */
export function refusePrivateTargetsInProduction(env: WebhookTargetSettings, ctx: z.RefinementCtx): void {
  if (env.NODE_ENV === 'production' && env.WEBHOOK_ALLOW_PRIVATE_TARGETS) {
    ctx.addIssue({ code: 'custom', path: ['WEBHOOK_ALLOW_PRIVATE_TARGETS'], message: 'lets tenants send webhooks into the private network: refused in production' });
  }
}

/** One decision for both services: private targets only with the switch, plain http refused in production. */
export function webhookTargetPolicyFrom(config: WebhookTargetSettings): WebhookTargetPolicy {
  return { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS, requireHttps: config.NODE_ENV === 'production' };
}

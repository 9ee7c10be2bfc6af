import { CanActivate, ExecutionContext, INestApplication } from '@nestjs/common';
import type { Request, Response } from 'express';
import { rateLimitedTotal } from '@airlock/telemetry';
import type { ApiDeps } from '../api.deps';
import { ApiError } from '../http/api-error';
import { addressBucket, RateLimitSettings, rateLimitScopeOf, rateLimitSettingsFrom, tenantBucket, workerBucket } from './rate-limit.policy';
import { RateBucket, RateLimiter, RedisRateLimiter } from './rate-limiter';
import { TokenIdentity, tokenIdentities } from './token-identity';

/**
 * Every route's limits, before any other guard: a request over a limit is answered 429 with
 * `Retry-After` (seconds) and `rate_limited`, and reaches neither the tenant guard nor the
 * database. Tenant routes count per tenant and per source address (so unauthenticated calls
 * too); grant routes per worker once the token verifies, per address when it does not.
 */
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly settings: RateLimitSettings,
    private readonly identityOf: TokenIdentity,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.settings.enabled || context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const scope = rateLimitScopeOf(req.path);
    if (scope === 'none') return true;
    const verdict = await this.limiter.take(await this.bucketsOf(scope, req), this.settings.windowMs);
    if (verdict.allowed) return true;
    rateLimitedTotal.inc({ scope: verdict.scope });
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(verdict.retryAfterSec));
    throw new ApiError(429, 'rate_limited', `Too many requests for this ${verdict.scope}; retry after ${verdict.retryAfterSec} s.`, { scope: verdict.scope, retryAfterSec: verdict.retryAfterSec });
  }

  private async bucketsOf(scope: 'worker' | 'verifier' | 'tenant' | 'address', req: Request): Promise<RateBucket[]> {
    // With TRUST_PROXY_HOPS, Express reads the client from X-Forwarded-For.
    const address = addressBucket(req.ip ?? req.socket.remoteAddress ?? 'unknown', this.settings);
    if (scope === 'address') return [address];
    if (scope === 'tenant') {
      const key = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      return key ? [address, tenantBucket(key, this.settings)] : [address];
    }
    const token = (req.body as { token?: unknown } | undefined)?.token;
    const identity = typeof token === 'string' && token.length <= 8192 ? await this.identityOf(scope, token) : undefined;
    return identity ? [workerBucket(identity, this.settings)] : [address];
  }
}

/** The api's limits on `app` (main.ts, and tests that want them): Redis counters under the queue prefix, shared by every replica. */
export function installRateLimits(app: INestApplication, deps: ApiDeps): void {
  if (deps.config.TRUST_PROXY_HOPS > 0) (app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void }).set('trust proxy', deps.config.TRUST_PROXY_HOPS);
  app.useGlobalGuards(new RateLimitGuard(new RedisRateLimiter(deps.queues.redis, deps.config.QUEUE_PREFIX), rateLimitSettingsFrom(deps.config), tokenIdentities(deps.config)));
}

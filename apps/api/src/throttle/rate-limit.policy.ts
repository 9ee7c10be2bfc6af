import { createHash } from 'node:crypto';
import type { ApiConfig } from '@airlock/config';
import type { RateBucket } from './rate-limiter';

/**
 * Which limits a route is under, by its path (one place, so no route is limited or forgotten by
 * hand): the grant routes per worker identity, the verifier's grants per its identity, every
 * other `/v1` route per tenant and per source address, `GET /v1/keys` and the admin routes per
 * address. Health, readiness, metrics and the docs are not limited.
 */
export type RateLimitScope = 'worker' | 'verifier' | 'tenant' | 'address' | 'none';

export function rateLimitScopeOf(path: string): RateLimitScope {
  const p = path.replace(/\/+$/, '').toLowerCase();
  if (p === '/v1/grants' || p.startsWith('/v1/grants/')) return 'worker';
  if (p === '/v1/verifier-grants' || p.startsWith('/v1/verifier-grants/')) return 'verifier';
  if (p === '/v1/keys' || p.startsWith('/v1/keys/') || p === '/admin' || p.startsWith('/admin/')) return 'address';
  if (p.startsWith('/v1/')) return 'tenant';
  return 'none';
}

export interface RateLimitSettings {
  readonly enabled: boolean;
  readonly windowMs: number;
  readonly perTenant: number;
  readonly perAddress: number;
  readonly perWorker: number;
}

export function rateLimitSettingsFrom(config: ApiConfig): RateLimitSettings {
  return {
    enabled: config.RATE_LIMIT_ENABLED,
    windowMs: config.RATE_LIMIT_WINDOW_SEC * 1000,
    perTenant: config.RATE_LIMIT_PER_TENANT,
    perAddress: config.RATE_LIMIT_PER_ADDRESS,
    perWorker: config.RATE_LIMIT_PER_WORKER,
  };
}

export const addressBucket = (address: string, s: RateLimitSettings): RateBucket => ({ scope: 'address', key: address, limit: s.perAddress });

/**
 * A tenant is counted by its API key (one key per tenant), hashed: no database read before the
 * tenant guard, and keys that name no tenant are held by the address limit.
 */
export const tenantBucket = (apiKey: string, s: RateLimitSettings): RateBucket => ({
  scope: 'tenant',
  key: createHash('sha256').update(apiKey).digest('hex').slice(0, 32),
  limit: s.perTenant,
});

export const workerBucket = (identity: string, s: RateLimitSettings): RateBucket => ({ scope: 'worker', key: identity, limit: s.perWorker });

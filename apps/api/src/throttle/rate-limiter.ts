import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { rateLimitUncheckedTotal } from '@airlock/telemetry';

/** One counter to take a request from: its key, and how many requests it allows per window. */
export interface RateBucket {
  /** What is counted, for the 429's details: `tenant`, `address` or `worker`. */
  readonly scope: 'tenant' | 'address' | 'worker';
  readonly key: string;
  readonly limit: number;
}

export type RateVerdict = { readonly allowed: true } | { readonly allowed: false; readonly scope: RateBucket['scope']; readonly retryAfterSec: number };

/** Counts a request against every bucket at once (shared by every api replica) and says whether it is over any limit. */
export interface RateLimiter {
  take(buckets: readonly RateBucket[], windowMs: number): Promise<RateVerdict>;
}

/**
 * A fixed window per key: the first request of a window creates the counter with the window's
 * lifetime, every request adds one, atomically, for all the request's keys in one round trip.
 * Answers each key's count and the milliseconds left in its window.
 */
const FIXED_WINDOW = `
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if n == 1 or ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  out[2 * i - 1] = n
  out[2 * i] = ttl
end
return out`;

/**
 * The Redis adapter. A limiter that cannot reach Redis within `timeoutMs` lets the request through
 * (the api's readiness already reports Redis; refusing every call would turn a Redis blip into an
 * outage of the whole api).
 */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly timeoutMs = 250,
  ) {}

  async take(buckets: readonly RateBucket[], windowMs: number): Promise<RateVerdict> {
    if (buckets.length === 0) return { allowed: true };
    const keys = buckets.map((b) => `${this.prefix}:ratelimit:${b.scope}:${b.key}`);
    const giveUp = new AbortController();
    const counts = await Promise.race([
      this.redis.eval(FIXED_WINDOW, keys.length, ...keys, String(windowMs)) as Promise<number[]>,
      sleep(this.timeoutMs, undefined, { signal: giveUp.signal }).catch(() => undefined),
    ])
      .catch(() => undefined)
      .finally(() => giveUp.abort());
    if (!counts) {
      rateLimitUncheckedTotal.inc();
      return { allowed: true };
    }
    for (let i = 0; i < buckets.length; i++) {
      if (counts[2 * i] > buckets[i].limit) return { allowed: false, scope: buckets[i].scope, retryAfterSec: Math.max(1, Math.ceil(counts[2 * i + 1] / 1000)) };
    }
    return { allowed: true };
  }
}

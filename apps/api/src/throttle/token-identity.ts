import type { JWK } from 'jose';
import type { ApiConfig } from '@airlock/config';
import { verifyJobToken, verifyVerifierToken } from '@airlock/crypto';

/** Who signed a grant call's token, once its signature verifies; undefined for a token that does not. */
export type TokenIdentity = (route: 'worker' | 'verifier', token: string) => Promise<string | undefined>;

/** The verifier's grants live at most this long (verifier-grant.service). */
const VERIFIER_TOKEN_MAX_TTL_SEC = 600;
const CACHED_TOKENS = 10_000;

/**
 * Identities by the tokens' own verification (the grant service verifies again and decides;
 * this only names whom to count). An attempt sends the same token with every upload request,
 * heartbeat and release, so verified tokens are remembered until they expire: one extra
 * signature check per attempt, not per call. A worker is its token's `iss` (one worker process,
 * all its attempts); the verifiers share one identity.
 */
export function tokenIdentities(config: ApiConfig): TokenIdentity {
  const known = new Map<string, { identity: string; expiresAtMs: number }>();
  const remember = (token: string, identity: string, expiresAt: Date) => {
    if (known.size >= CACHED_TOKENS) known.delete(known.keys().next().value as string);
    known.set(token, { identity, expiresAtMs: expiresAt.getTime() });
    return identity;
  };
  return async (route, token) => {
    const hit = known.get(token);
    if (hit && hit.expiresAtMs > Date.now()) return hit.identity;
    if (hit) known.delete(token);
    try {
      if (route === 'worker') {
        const claims = await verifyJobToken(token, config.WORKER_PUBLIC_JWKS as unknown as JWK[], config.GRANT_MAX_TTL_SEC);
        return remember(token, `w:${claims.workerId}`, claims.expiresAt);
      }
      const keys = config.VERIFIER_PUBLIC_JWKS as unknown as JWK[] | undefined;
      const claims = keys ? await verifyVerifierToken(token, keys, VERIFIER_TOKEN_MAX_TTL_SEC) : undefined;
      return claims ? remember(token, 'verifier', claims.expiresAt) : undefined;
    } catch {
      return undefined;
    }
  };
}

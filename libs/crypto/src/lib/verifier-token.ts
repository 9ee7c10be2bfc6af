import { importJWK, JWK, jwtVerify, SignJWT } from 'jose';
import { JOB_TOKEN_ALG, lifetimeRefusal, TOKEN_CLOCK_SKEW_SEC, withLifetime } from './job-token';

/**
 * The verifier's request for its own grant (deep checks): which verify step of which job of
 * which media, signed with the verifier's Ed25519 key, never the worker fleet's, so neither can
 * pass for the other. Short-lived; the api is the audience.
 */
export const VERIFIER_TOKEN_AUDIENCE = 'airlock-verifier-grants';

export interface VerifierTokenClaims {
  readonly mediaId: string;
  readonly jobId: string;
  /** The verify step's queue job id. */
  readonly verifyJob: string;
}

export async function signVerifierToken(claims: VerifierTokenClaims, privateJwk: JWK, ttlSec: number): Promise<string> {
  return withLifetime(new SignJWT({ media: claims.mediaId, job: claims.jobId })
    .setProtectedHeader({ alg: JOB_TOKEN_ALG, typ: 'JWT', ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) })
    .setIssuer('verifier')
    .setSubject(claims.verifyJob)
    .setAudience(VERIFIER_TOKEN_AUDIENCE)
    .setJti(globalThis.crypto.randomUUID()), ttlSec)
    .sign(await importJWK(privateJwk, JOB_TOKEN_ALG));
}

/**
 * The claims, or undefined for any token that is not a live verifier token of one of
 * `publicJwks` within `maxTtlSec` (from its `iat` and from now) and `skewSec` of our clock.
 */
export async function verifyVerifierToken(token: string, publicJwks: readonly JWK[], maxTtlSec: number, skewSec = TOKEN_CLOCK_SKEW_SEC): Promise<(VerifierTokenClaims & { expiresAt: Date }) | undefined> {
  for (const jwk of publicJwks) {
    try {
      const { payload } = await jwtVerify(token, await importJWK(jwk, JOB_TOKEN_ALG), { audience: VERIFIER_TOKEN_AUDIENCE, algorithms: [JOB_TOKEN_ALG], issuer: 'verifier' });
      const { sub, media, job, exp, iat } = payload as Record<string, unknown>;
      if (typeof sub !== 'string' || typeof media !== 'string' || typeof job !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') return undefined;
      if (lifetimeRefusal({ iat, exp }, { nowSec: Math.floor(Date.now() / 1000), maxTtlSec, skewSec })) return undefined;
      return { mediaId: media, jobId: job, verifyJob: sub, expiresAt: new Date(exp * 1000) };
    } catch {
      // Another key of the set may have signed it.
    }
  }
  return undefined;
}

import { compactVerify, exportJWK, generateKeyPair, importJWK, JWK, SignJWT, errors as joseErrors } from 'jose';

/**
 * A worker attempt's job token: it says which attempt of which task of which media asks for a
 * grant, signed with the worker fleet's Ed25519 key. The api (grant exchange) is the audience.
 */
export const JOB_TOKEN_AUDIENCE = 'airlock-grants';
export const JOB_TOKEN_ALG = 'EdDSA';

export interface JobTokenClaims {
  readonly workerId: string;
  readonly attemptId: string;
  readonly mediaId: string;
  readonly jobId: string;
  readonly taskId: string;
}

export interface VerifiedJobToken extends JobTokenClaims {
  readonly jti: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

export type JobTokenRefusal = 'bad_signature' | 'expired' | 'wrong_audience' | 'malformed' | 'ttl_too_long' | 'issued_in_future';

/**
 * How far a signer's clock may run ahead of ours: a token issued further in the future is
 * refused, so `iat` cannot stretch a lifetime that only `exp - iat` bounds.
 */
export const TOKEN_CLOCK_SKEW_SEC = 30;

export class JobTokenError extends Error {
  constructor(
    readonly reason: JobTokenRefusal,
    message: string,
    /**
     * Set only when the fleet's signature verified: the media the (trusted) token names, so a
     * refusal can be attributed to it. A token whose signature did not verify names nothing.
     */
    readonly signedMediaId?: string,
  ) {
    super(message);
    this.name = 'JobTokenError';
  }
}

export async function generateSigningKeyPair(kid: string): Promise<{ publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair(JOB_TOKEN_ALG, { crv: 'Ed25519', extractable: true });
  return {
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: JOB_TOKEN_ALG, use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: JOB_TOKEN_ALG, use: 'sig' },
  };
}

export async function signJobToken(claims: JobTokenClaims, privateJwk: JWK, ttlSec: number): Promise<string> {
  const key = await importJWK(privateJwk, JOB_TOKEN_ALG);
  return withLifetime(new SignJWT({ media: claims.mediaId, job: claims.jobId, task: claims.taskId })
    .setProtectedHeader({ alg: JOB_TOKEN_ALG, typ: 'JWT', ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) })
    .setIssuer(claims.workerId)
    .setSubject(claims.attemptId)
    .setAudience(JOB_TOKEN_AUDIENCE)
    .setJti(globalThis.crypto.randomUUID()), ttlSec)
    .sign(key);
}

/**
 * `iat` and `exp` from one read of the clock: two reads a second boundary apart made exp - iat
 * one more than the TTL, and the api refused the token as outliving the policy (seen once in
 * 3,000 grant exchanges).
 */
export function withLifetime(jwt: SignJWT, ttlSec: number): SignJWT {
  const now = Math.floor(Date.now() / 1000);
  return jwt.setIssuedAt(now).setExpirationTime(now + ttlSec);
}

/**
 * Why a token's lifetime is refused at `nowSec`, or undefined: expired, issued more than
 * `skewSec` in the future, or living longer than `maxTtlSec` counted from its `iat` or from now
 * (with the skew). Pure, for every kind of token the api accepts.
 */
export function lifetimeRefusal(
  times: { iat: number; exp: number },
  limits: { nowSec: number; maxTtlSec: number; skewSec: number },
): { reason: 'expired' | 'issued_in_future' | 'ttl_too_long'; message: string } | undefined {
  const { iat, exp } = times;
  const { nowSec, maxTtlSec, skewSec } = limits;
  if (exp <= nowSec) return { reason: 'expired', message: 'the token has expired' };
  if (iat > nowSec + skewSec) return { reason: 'issued_in_future', message: `the token is issued ${iat - nowSec} s in the future (clock skew allowed: ${skewSec} s)` };
  if (exp - iat > maxTtlSec) return { reason: 'ttl_too_long', message: `the token lives ${exp - iat} s, over the policy's ${maxTtlSec} s` };
  if (exp - nowSec > maxTtlSec + skewSec) return { reason: 'ttl_too_long', message: `the token expires ${exp - nowSec} s from now, over the policy's ${maxTtlSec} s` };
  return undefined;
}

/**
 * Verify signature (EdDSA only: `alg: none` and HMAC are refused), audience, and the lifetime
 * (lifetimeRefusal). Every refusal after the signature verified carries the media it names.
 */
export async function verifyJobToken(token: string, publicJwks: readonly JWK[], maxTtlSec: number, skewSec = TOKEN_CLOCK_SKEW_SEC): Promise<VerifiedJobToken> {
  let header: { alg?: string; kid?: string };
  try {
    header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { alg?: string; kid?: string };
  } catch {
    throw new JobTokenError('malformed', 'the job token is not a JWT');
  }
  if (header.alg !== JOB_TOKEN_ALG) throw new JobTokenError('bad_signature', `job tokens must be signed with ${JOB_TOKEN_ALG}, not ${String(header.alg)}`);
  const jwk = publicJwks.find((k) => !header.kid || k.kid === header.kid);
  if (!jwk) throw new JobTokenError('bad_signature', 'the job token is signed by an unknown key');
  let payload: Record<string, unknown>;
  try {
    // Signature only: the claims are judged below, by one clock, once the signer is known.
    const verified = await compactVerify(token, await importJWK(jwk, JOB_TOKEN_ALG), { algorithms: [JOB_TOKEN_ALG] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
    if (typeof payload !== 'object' || payload === null) throw new Error('not an object');
  } catch (e) {
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) throw new JobTokenError('bad_signature', 'the job token signature does not verify');
    throw new JobTokenError('malformed', 'the job token cannot be verified');
  }
  const { iss, sub, jti, exp, iat, aud, media, job, task } = payload;
  const signedMediaId = typeof media === 'string' ? media : undefined;
  const refuse = (reason: JobTokenRefusal, message: string) => new JobTokenError(reason, message, signedMediaId);
  if (aud !== JOB_TOKEN_AUDIENCE && !(Array.isArray(aud) && aud.includes(JOB_TOKEN_AUDIENCE))) throw refuse('wrong_audience', 'the job token is for another audience');
  if (typeof iss !== 'string' || typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') {
    throw refuse('malformed', 'the job token lacks iss, sub, jti, iat or exp');
  }
  if (typeof media !== 'string' || typeof job !== 'string' || typeof task !== 'string') throw refuse('malformed', 'the job token lacks media, job or task');
  const lifetime = lifetimeRefusal({ iat, exp }, { nowSec: Math.floor(Date.now() / 1000), maxTtlSec, skewSec });
  if (lifetime) throw refuse(lifetime.reason, lifetime.message);
  return { workerId: iss, attemptId: sub, jti, mediaId: media, jobId: job, taskId: task, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) };
}

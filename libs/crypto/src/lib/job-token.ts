import { exportJWK, generateKeyPair, importJWK, JWK, jwtVerify, SignJWT, errors as joseErrors } from 'jose';

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

export type JobTokenRefusal = 'bad_signature' | 'expired' | 'wrong_audience' | 'malformed' | 'ttl_too_long';

export class JobTokenError extends Error {
  constructor(
    readonly reason: JobTokenRefusal,
    message: string,
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

/** Verify signature (EdDSA only: `alg: none` and HMAC are refused), audience, expiry and the TTL ceiling. */
export async function verifyJobToken(token: string, publicJwks: readonly JWK[], maxTtlSec: number): Promise<VerifiedJobToken> {
  let header: { alg?: string; kid?: string };
  try {
    header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { alg?: string; kid?: string };
  } catch {
    throw new JobTokenError('malformed', 'the job token is not a JWT');
  }
  if (header.alg !== JOB_TOKEN_ALG) throw new JobTokenError('bad_signature', `job tokens must be signed with ${JOB_TOKEN_ALG}, not ${String(header.alg)}`);
  const jwk = publicJwks.find((k) => !header.kid || k.kid === header.kid);
  if (!jwk) throw new JobTokenError('bad_signature', 'the job token is signed by an unknown key');
  try {
    const { payload } = await jwtVerify(token, await importJWK(jwk, JOB_TOKEN_ALG), { audience: JOB_TOKEN_AUDIENCE, algorithms: [JOB_TOKEN_ALG] });
    const { iss, sub, jti, exp, iat, media, job, task } = payload as Record<string, unknown>;
    if (typeof iss !== 'string' || typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') {
      throw new JobTokenError('malformed', 'the job token lacks iss, sub, jti, iat or exp');
    }
    if (typeof media !== 'string' || typeof job !== 'string' || typeof task !== 'string') throw new JobTokenError('malformed', 'the job token lacks media, job or task');
    if (exp - iat > maxTtlSec) throw new JobTokenError('ttl_too_long', `the job token lives ${exp - iat} s, over the policy's ${maxTtlSec} s`);
    return { workerId: iss, attemptId: sub, jti, mediaId: media, jobId: job, taskId: task, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) };
  } catch (e) {
    if (e instanceof JobTokenError) throw e;
    if (e instanceof joseErrors.JWTExpired) throw new JobTokenError('expired', 'the job token has expired');
    if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'aud') throw new JobTokenError('wrong_audience', 'the job token is for another audience');
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) throw new JobTokenError('bad_signature', 'the job token signature does not verify');
    throw new JobTokenError('malformed', 'the job token cannot be verified');
  }
}

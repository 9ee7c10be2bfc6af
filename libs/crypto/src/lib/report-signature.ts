import { createHash } from 'node:crypto';
import { importJWK, JWK, jwtVerify, SignJWT } from 'jose';
import { JOB_TOKEN_ALG } from './job-token';

/**
 * A worker's report, signed with the fleet key: the signature covers a digest of every other
 * field (canonical JSON, keys sorted), so an edit anywhere after signing is detectable, and
 * names the attempt and worker so a signature cannot be moved onto another report.
 */
export const REPORT_AUDIENCE = 'airlock-verifier';

interface Signable {
  readonly attemptId: string;
  readonly workerId: string;
  readonly signature?: string;
}

/** JSON with object keys sorted at every level: one byte string per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function reportDigest<R extends Signable>(report: R): string {
  const { signature: _ignored, ...rest } = report;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export async function signReport<R extends Signable>(report: R, privateJwk: JWK): Promise<R & { signature: string }> {
  const key = await importJWK(privateJwk, JOB_TOKEN_ALG);
  const signature = await new SignJWT({ digest: reportDigest(report) })
    .setProtectedHeader({ alg: JOB_TOKEN_ALG, typ: 'JWT', ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) })
    .setIssuer(report.workerId)
    .setSubject(report.attemptId)
    .setAudience(REPORT_AUDIENCE)
    .setIssuedAt()
    .sign(key);
  return { ...report, signature };
}

export type ReportSignatureVerdict = 'valid' | 'unsigned' | 'invalid';

/** EdDSA only; any key of the fleet's public set may have signed it. */
export async function checkReportSignature(report: Signable, publicJwks: readonly JWK[]): Promise<ReportSignatureVerdict> {
  if (!report.signature) return 'unsigned';
  for (const jwk of publicJwks) {
    try {
      const key = await importJWK(jwk, JOB_TOKEN_ALG);
      const { payload } = await jwtVerify(report.signature, key, { algorithms: [JOB_TOKEN_ALG], audience: REPORT_AUDIENCE });
      if (payload.sub === report.attemptId && payload.iss === report.workerId && payload['digest'] === reportDigest(report)) return 'valid';
    } catch {
      // Another key of the set may have signed it.
    }
  }
  return 'invalid';
}

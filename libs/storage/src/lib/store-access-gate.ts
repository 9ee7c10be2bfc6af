import { isSigned, verifySigV4 } from './sigv4-verifier';

/** The slice of a Koa context the gate reads and writes. */
interface GateContext {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}

export interface StoreAccessPolicy {
  readonly secretFor: (accessKey: string) => string | undefined;
  readonly publicReadPrefixes: readonly string[];
  readonly now?: () => number;
}

export type AccessDecision = { readonly allow: true } | { readonly allow: false; readonly code: string; readonly message: string };

/**
 * Who may do what to the local bucket. CORS preflights carry no credentials and pass;
 * signed requests pass only with a valid, unexpired SigV4 signature (so a presigned URL
 * works for exactly its method and key); unsigned requests may only GET or HEAD an object
 * under a public prefix.
 */
export function decideAccess(req: { method: string; url: string; headers: GateContext['headers'] }, policy: StoreAccessPolicy): AccessDecision {
  if (req.method === 'OPTIONS') return { allow: true };
  const signedRequest = { method: req.method, rawUrl: req.url, headers: req.headers };
  if (isSigned(signedRequest)) {
    const verdict = verifySigV4(signedRequest, policy.secretFor, policy.now?.());
    return verdict.ok ? { allow: true } : { allow: false, code: verdict.code, message: verdict.message };
  }
  const key = objectKey(req.url);
  const readable = (req.method === 'GET' || req.method === 'HEAD') && key !== undefined && policy.publicReadPrefixes.some((p) => key.startsWith(p));
  return readable ? { allow: true } : { allow: false, code: 'AccessDenied', message: 'Anonymous access is limited to published outputs' };
}

/** Koa middleware for s3rver: refuse with S3's XML error before s3rver sees the request. */
export function storeAccessGate(policy: StoreAccessPolicy) {
  return async (ctx: GateContext, next: () => Promise<unknown>): Promise<void> => {
    const decision = decideAccess(ctx, policy);
    if (decision.allow) {
      await next();
      return;
    }
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${decision.code}</Code><Message>${decision.message}</Message></Error>`;
  };
}

/** The object key of a path-style URL (`/bucket/key`), or undefined for bucket-level requests. */
function objectKey(url: string): string | undefined {
  const path = url.split('?')[0] ?? '';
  const slash = path.indexOf('/', 1);
  if (slash < 0 || slash === path.length - 1) return undefined;
  try {
    return decodeURIComponent(path.slice(slash + 1));
  } catch {
    return undefined;
  }
}

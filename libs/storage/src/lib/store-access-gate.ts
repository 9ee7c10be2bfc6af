import { objectKeyProblem } from './object-key';
import { isSigned, verifySigV4 } from './sigv4-verifier';
import { LocalStoreFiles, StoreWriteRules } from './store-write-rules';

/** The slice of a Koa context the gate reads and writes. */
export interface GateContext {
  readonly method: string;
  readonly url: string;
  readonly hostname: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly req: NodeJS.ReadableStream & { readonly complete: boolean };
  /** s3rver's filesystem store (its context carries it). */
  readonly store: LocalStoreFiles;
  status: number;
  type: string;
  body: unknown;
}

export interface StoreAccessPolicy {
  readonly secretFor: (accessKey: string) => string | undefined;
  readonly publicReadPrefixes: readonly string[];
  readonly now?: () => number;
}

/** What a path-style request points at: the service, a bucket, or an object in a bucket. */
export interface StoreTarget {
  readonly bucket?: string;
  readonly key?: string;
}

export type AccessDecision =
  | { readonly allow: true; readonly target: StoreTarget }
  | { readonly allow: false; readonly status: 400 | 403; readonly code: string; readonly message: string };

type GateRequest = Pick<GateContext, 'method' | 'url' | 'headers'> & { readonly hostname?: string };

/**
 * Who may do what to the local bucket. First, what the request points at must be a plain bucket
 * and key (objectKeyProblem), for every request, signed or not: s3rver joins keys into paths, so
 * `seg/..%2fsrc/x` would read a source through a public prefix. Then CORS preflights carry no
 * credentials and pass; signed requests pass only with a valid, unexpired SigV4 signature (so a
 * presigned URL works for exactly its method, key and signed headers); unsigned requests may only
 * GET or HEAD an object under a public prefix.
 */
export function decideAccess(req: GateRequest, policy: StoreAccessPolicy): AccessDecision {
  const target = targetOf(req);
  if ('problem' in target) return { allow: false, status: 400, code: 'InvalidURI', message: target.problem };
  const copySource = header(req.headers['x-amz-copy-source']);
  if (copySource !== undefined) {
    const source = targetOf({ url: copySource.startsWith('/') ? copySource : `/${copySource}` });
    if ('problem' in source || source.key === undefined) return { allow: false, status: 400, code: 'InvalidArgument', message: `x-amz-copy-source: ${'problem' in source ? source.problem : 'names no object'}` };
  }
  if (req.method === 'OPTIONS') return { allow: true, target };
  const signedRequest = { method: req.method, rawUrl: req.url, headers: req.headers };
  if (isSigned(signedRequest)) {
    const verdict = verifySigV4(signedRequest, policy.secretFor, policy.now?.());
    return verdict.ok ? { allow: true, target } : { allow: false, status: 403, code: verdict.code, message: verdict.message };
  }
  const key = target.key;
  const readable = (req.method === 'GET' || req.method === 'HEAD') && key !== undefined && policy.publicReadPrefixes.some((p) => key.startsWith(p));
  return readable ? { allow: true, target } : { allow: false, status: 403, code: 'AccessDenied', message: 'Anonymous access is limited to published outputs' };
}

/**
 * Koa middleware for s3rver: refuse with S3's XML error before s3rver sees the request, then
 * apply the write rules s3rver lacks (create-only PUTs, checksums: StoreWriteRules).
 */
export function storeAccessGate(policy: StoreAccessPolicy) {
  const writes = new StoreWriteRules();
  return async (ctx: GateContext, next: () => Promise<unknown>): Promise<void> => {
    const decision = decideAccess(ctx, policy);
    if (!decision.allow) {
      refuse(ctx, decision.status, decision.code, decision.message);
      return;
    }
    const { bucket, key } = decision.target;
    if (bucket === undefined || key === undefined) {
      await next();
      return;
    }
    const refusal = await writes.apply(ctx, { bucket, key }, next);
    if (refusal) refuse(ctx, refusal.status, refusal.code, refusal.message);
  };
}

function refuse(ctx: GateContext, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** s3rver's virtual-host rewrite (`<bucket>.s3.amazonaws.com`): the gate would judge another path than s3rver serves. */
const VHOST = /^.+\.s3(-website)?([-.].+)?\.amazonaws\.com$/;

/**
 * Bucket and key of a path-style URL (`/bucket/key`), from the path exactly as sent: decoded once,
 * as s3rver's router decodes it, then checked whole, so neither `../` nor `..%2f` nor `%2e%2e`
 * gets through.
 */
function targetOf(req: { url: string; hostname?: string }): StoreTarget | { problem: string } {
  if (req.hostname !== undefined && VHOST.test(req.hostname)) return { problem: 'Only path-style requests are served' };
  const path = req.url.split('?')[0] ?? '';
  if (!path.startsWith('/')) return { problem: 'The request target must be a path' };
  if (path === '/') return {};
  const slash = path.indexOf('/', 1);
  const rawBucket = slash < 0 ? path.slice(1) : path.slice(1, slash);
  const rawKey = slash < 0 ? '' : path.slice(slash + 1);
  const bucket = decode(rawBucket);
  if (bucket === undefined || !BUCKET_NAME.test(bucket) || bucket.includes('..')) return { problem: 'The bucket name is not valid' };
  if (rawKey === '') return { bucket };
  const key = decode(rawKey);
  if (key === undefined) return { problem: 'The object key is not valid percent-encoding' };
  const problem = objectKeyProblem(key);
  return problem ? { problem: `The object key is refused: ${problem}` } : { bucket, key };
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * AWS Signature Version 4 checking for S3 requests, both forms: the Authorization header
 * (service clients) and the query string (presigned URLs). Pure: the caller hands in the
 * request's method, raw URL and headers; nothing here touches the network.
 *
 * A presigned URL signs its method, path and expiry, so a URL bent to another key, another
 * method or a later time no longer verifies: that is what scopes a grant at the storage.
 */
export interface SignedRequest {
  readonly method: string;
  /** Path and query exactly as sent (`/bucket/key?X-Amz-...`). */
  readonly rawUrl: string;
  /** Lower-case names, as Node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type SignatureVerdict =
  | { readonly ok: true; readonly accessKey: string }
  | { readonly ok: false; readonly code: 'AccessDenied' | 'InvalidAccessKeyId' | 'SignatureDoesNotMatch'; readonly message: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** S3 refuses header-signed requests whose clock is further off than this. */
const MAX_CLOCK_SKEW_MS = 15 * 60_000;
const MAX_PRESIGN_EXPIRY_SEC = 7 * 24 * 3600;

export function isSigned(req: SignedRequest): boolean {
  const query = req.rawUrl.split('?')[1] ?? '';
  return req.headers['authorization'] !== undefined || /(^|&)(X-Amz-Algorithm|Signature)=/.test(query);
}

export function verifySigV4(req: SignedRequest, secretFor: (accessKey: string) => string | undefined, now = Date.now()): SignatureVerdict {
  const [path = '/', query = ''] = splitOnce(req.rawUrl, '?');
  const params = parseQuery(query);
  const fromQuery = params.some(([k]) => k === 'X-Amz-Algorithm');
  const auth = fromQuery ? queryAuth(params) : headerAuth(req.headers);
  if ('error' in auth) return deny('AccessDenied', auth.error);

  const [accessKey = '', date = '', region = '', service = '', terminator = ''] = auth.credential.split('/');
  const secret = secretFor(accessKey);
  if (secret === undefined) return deny('InvalidAccessKeyId', 'The access key id is not known to this store');
  if (terminator !== 'aws4_request' || !auth.amzDate.startsWith(date)) return deny('AccessDenied', 'Malformed credential scope');

  const signedAt = parseAmzDate(auth.amzDate);
  if (signedAt === undefined) return deny('AccessDenied', 'Malformed X-Amz-Date');
  if (fromQuery) {
    if (!(auth.expiresSec > 0 && auth.expiresSec <= MAX_PRESIGN_EXPIRY_SEC)) return deny('AccessDenied', 'X-Amz-Expires out of range');
    if (now > signedAt + auth.expiresSec * 1000) return deny('AccessDenied', 'Request has expired');
  } else if (Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) {
    return deny('AccessDenied', 'The difference between the request time and the server time is too large');
  }

  const signedHeaders = auth.signedHeaders.split(';');
  if (!signedHeaders.includes('host')) return deny('AccessDenied', 'The host header must be signed');
  // As S3: an x-amz-* header rides on a signature only if it is signed (else a presigned PUT could carry an x-amz-copy-source of anyone's choosing).
  const unsigned = Object.keys(req.headers).filter((name) => name.startsWith('x-amz-') && !signedHeaders.includes(name));
  if (unsigned.length > 0) return deny('AccessDenied', `There were headers present in the request which were not signed: ${unsigned.join(', ')}`);
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${headerValue(req.headers[name])}\n`).join('');
  const canonicalQuery = params
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? compare(av, bv) : compare(a, b)))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [req.method, path, canonicalQuery, canonicalHeaders, auth.signedHeaders, auth.payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, auth.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = [date, region, service, 'aws4_request'].reduce<Buffer>((k, part) => hmac(k, part), Buffer.from(`AWS4${secret}`));
  const expected = hmac(key, stringToSign);
  const provided = Buffer.from(auth.signature, 'hex');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    return deny('SignatureDoesNotMatch', 'The request signature does not match the signature the store calculated');
  }
  return { ok: true, accessKey };
}

interface AuthParts {
  readonly credential: string;
  readonly amzDate: string;
  readonly signedHeaders: string;
  readonly signature: string;
  readonly payloadHash: string;
  readonly expiresSec: number;
}

function queryAuth(params: readonly (readonly [string, string])[]): AuthParts | { error: string } {
  const get = (k: string) => params.find(([name]) => name === k)?.[1];
  const algorithm = get('X-Amz-Algorithm');
  const credential = get('X-Amz-Credential');
  const amzDate = get('X-Amz-Date');
  const signedHeaders = get('X-Amz-SignedHeaders');
  const signature = get('X-Amz-Signature');
  const expires = get('X-Amz-Expires');
  if (algorithm !== ALGORITHM) return { error: `Only ${ALGORITHM} is accepted` };
  if (!credential || !amzDate || !signedHeaders || !signature || !expires) return { error: 'Presigned URL is missing signature parameters' };
  return { credential, amzDate, signedHeaders, signature, payloadHash: 'UNSIGNED-PAYLOAD', expiresSec: Number(expires) };
}

function headerAuth(headers: SignedRequest['headers']): AuthParts | { error: string } {
  const header = headerValue(headers['authorization']);
  if (!header.startsWith(`${ALGORITHM} `)) return { error: `Only ${ALGORITHM} is accepted` };
  const fields = Object.fromEntries(
    header
      .slice(ALGORITHM.length + 1)
      .split(',')
      .map((f) => splitOnce(f.trim(), '=')),
  );
  const amzDate = headerValue(headers['x-amz-date']);
  const payloadHash = headerValue(headers['x-amz-content-sha256']);
  const { Credential: credential, SignedHeaders: signedHeaders, Signature: signature } = fields;
  if (!credential || !signedHeaders || !signature || !amzDate || !payloadHash) return { error: 'Authorization header is incomplete' };
  return { credential, amzDate, signedHeaders, signature, payloadHash, expiresSec: 0 };
}

function parseQuery(query: string): (readonly [string, string])[] {
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [k = '', v = ''] = splitOnce(pair, '=');
      return [safeDecode(k), safeDecode(v)] as const;
    });
}

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

function headerValue(v: string | string[] | undefined): string {
  return (Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ');
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const hmac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');
const deny = (code: Exclude<SignatureVerdict, { ok: true }>['code'], message: string): SignatureVerdict => ({ ok: false, code, message });

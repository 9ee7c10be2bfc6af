import { createHash, createHmac, Hash, Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { assertObjectKey } from './object-key';

/** The one body a PUT may carry: its length and sha256 (hex), as declared before the upload. */
export interface PutBinding {
  readonly sizeBytes: number;
  readonly sha256Hex: string;
}

/** When the URL was signed and how long it lives from then (SigV4 allows at most 7 days). */
export interface PutWindow {
  readonly signedAt: Date;
  readonly ttlSec: number;
}

/** A presigned PUT and the headers the client must send with it, exactly. */
export interface BoundPut {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly expiresAt: Date;
}

export interface BoundPutTarget {
  /** Base URL the client will PUT to (its host is signed). */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  readonly key: string;
}

/**
 * A presigned, create-only PUT for exactly one body. Besides `host`, the signature covers
 * `content-length`, `x-amz-checksum-sha256` (base64 of the declared sha256) and
 * `If-None-Match: *`, so a store that checks SigV4 refuses any other length, S3 and MinIO refuse
 * bytes with another hash (BadDigest), and a second PUT to an existing key fails 412: the source
 * cannot be rewritten after it is uploaded, under tasks that read it, nor a worker's output or a
 * manifest once written (grant uploads, ObjectStore.putBufferOnce). The local store's gate
 * enforces the same three (s3rver alone ignores checksums and conditions). The minio client
 * presigns `host` only, hence @smithy/signature-v4 here.
 */
export async function presignBoundPut(target: BoundPutTarget, binding: PutBinding, window: PutWindow): Promise<BoundPut> {
  assertObjectKey(target.key);
  if (!Number.isSafeInteger(binding.sizeBytes) || binding.sizeBytes < 0) throw new Error('a bound PUT needs a non-negative integer size');
  if (!/^[0-9a-f]{64}$/.test(binding.sha256Hex)) throw new Error('a bound PUT needs a sha256 of 64 lowercase hex characters');
  const base = new URL(target.endpoint);
  const headers: Record<string, string> = {
    'Content-Length': String(binding.sizeBytes),
    'If-None-Match': '*',
    'x-amz-checksum-sha256': Buffer.from(binding.sha256Hex, 'hex').toString('base64'),
  };
  const signer = new SignatureV4({
    service: 's3',
    region: target.region,
    credentials: { accessKeyId: target.accessKey, secretAccessKey: target.secretKey },
    sha256: NodeSha256,
    // S3 signs the path as sent, each segment encoded once.
    uriEscapePath: false,
  });
  const path = `/${target.bucket}/${target.key.split('/').map(rfc3986).join('/')}`;
  const signed = await signer.presign(
    {
      method: 'PUT',
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port ? Number(base.port) : undefined,
      path,
      query: {},
      // The payload itself is not signed (it is bound by the checksum instead): S3's UNSIGNED-PAYLOAD.
      headers: { host: base.host, ...headers, [PAYLOAD_HEADER]: 'UNSIGNED-PAYLOAD' },
    },
    {
      signingDate: window.signedAt,
      expiresIn: window.ttlSec,
      // Left as headers the client must send, not moved into the query string.
      unhoistableHeaders: new Set(['x-amz-checksum-sha256', PAYLOAD_HEADER]),
      unsignableHeaders: new Set([PAYLOAD_HEADER]),
    },
  );
  const query = Object.entries(signed.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x] as const) : v === null ? [] : [[k, v] as const]))
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .join('&');
  return {
    url: `${base.protocol}//${base.host}${path}?${query}`,
    headers,
    expiresAt: new Date(window.signedAt.getTime() + window.ttlSec * 1000),
  };
}

const PAYLOAD_HEADER = 'x-amz-content-sha256';

/** The hash constructor SignatureV4 wants (sha256, or HMAC-sha256 given a secret), on node:crypto. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

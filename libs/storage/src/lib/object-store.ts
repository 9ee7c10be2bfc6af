import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat as fsStat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as Minio from 'minio';
import { BoundPut, presignBoundPut, PutBinding, PutWindow } from './bound-put';
import { assertKeyPrefix, assertObjectKey } from './object-key';

export interface StorageSettings {
  readonly endpoint: string;
  /** Base URL clients fetch objects from; defaults to the endpoint. */
  readonly publicUrl?: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
  readonly bucket: string;
  /** s3rver fails the minio client's multipart upload: send objects in one part. */
  readonly singlePart: boolean;
}

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
}

const ONE_GIB = 1024 * 1024 * 1024;

/** The S3 part of a service's validated environment (see @airlock/config). */
export interface StorageEnv {
  readonly S3_ENDPOINT: string;
  readonly S3_PUBLIC_URL?: string;
  readonly S3_ACCESS_KEY: string;
  readonly S3_SECRET_KEY: string;
  readonly S3_REGION: string;
  readonly S3_BUCKET: string;
  readonly S3_SINGLE_PART: boolean;
}

export function storageSettingsFrom(env: StorageEnv): StorageSettings {
  return {
    endpoint: env.S3_ENDPOINT,
    publicUrl: env.S3_PUBLIC_URL,
    accessKey: env.S3_ACCESS_KEY,
    secretKey: env.S3_SECRET_KEY,
    region: env.S3_REGION,
    bucket: env.S3_BUCKET,
    singlePart: env.S3_SINGLE_PART,
  };
}

/**
 * The only S3 adapter. Real MinIO (compose, k8s) and s3rver (local, tests) are
 * interchangeable behind it. Lifecycle rules are never relied upon: sweeps delete. Every key
 * and prefix passes objectKeyProblem first (no `.`/`..`/empty segments, backslashes or control
 * characters), the same rule the local store's gate applies to every request.
 */
export class ObjectStore {
  private readonly client: Minio.Client;
  private readonly presigner: Minio.Client;
  readonly bucket: string;

  constructor(private readonly settings: StorageSettings) {
    this.client = clientFor(settings.endpoint, settings);
    // Presigned URLs are signed for the host clients will use.
    this.presigner = clientFor(settings.publicUrl ?? settings.endpoint, settings);
    this.bucket = settings.bucket;
  }

  async ensureBucket(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) {
      await this.client.makeBucket(this.bucket, this.settings.region).catch(async (e: Error) => {
        if (!(await this.client.bucketExists(this.bucket))) throw e;
      });
    }
  }

  async putFile(key: string, path: string, contentType = 'application/octet-stream'): Promise<void> {
    const { size } = await fsStat(path);
    await this.client.putObject(this.bucket, assertObjectKey(key), createReadStream(path), size, { 'Content-Type': contentType });
  }

  async putBuffer(key: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<void> {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    await this.client.putObject(this.bucket, assertObjectKey(key), buf, buf.length, { 'Content-Type': contentType });
  }

  /**
   * Writes `body` under `key` once: the same bound PUT as a presigned upload (presignBoundPut,
   * signed here with the store's own credentials), so the store creates the object only if it
   * does not exist (`If-None-Match: *`) and only with these bytes (`x-amz-checksum-sha256`,
   * Content-Length). When the object already exists (a re-run of the same write), its bytes are
   * hashed: the same bytes are a repeat and answer 'existed'; other bytes throw
   * ObjectConflictError, and the stored object is never replaced.
   */
  async putBufferOnce(key: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<'created' | 'existed'> {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const sha256Hex = createHash('sha256').update(buf).digest('hex');
    const { accessKey, secretKey, region, endpoint } = this.settings;
    const put = await presignBoundPut({ endpoint, region, accessKey, secretKey, bucket: this.bucket, key }, { sizeBytes: buf.length, sha256Hex }, { signedAt: new Date(), ttlSec: 300 });
    const res = await fetch(put.url, { method: 'PUT', headers: { 'Content-Type': contentType, ...put.headers }, body: new Uint8Array(buf), signal: AbortSignal.timeout(60_000) });
    const answer = await res.text();
    if (res.ok) return 'created';
    if (res.status !== 412) throw new Error(`PUT ${key} answered ${res.status}: ${answer.slice(0, 200)}`);
    const stored = await this.sha256(key).catch((e: unknown) => {
      // Refused as existing, yet not readable: another create of it is still under way.
      if (isNotFound(e)) throw new Error(`PUT ${key} answered 412 but the object cannot be read yet`);
      throw e;
    });
    if (stored !== sha256Hex) throw new ObjectConflictError(key, stored, sha256Hex);
    return 'existed';
  }

  /** Streams the object to a new file (bounded memory; no partial-download bookkeeping). */
  async getToFile(key: string, path: string): Promise<void> {
    const stream = (await this.client.getObject(this.bucket, assertObjectKey(key))) as Readable;
    await pipeline(stream, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  }

  async getBuffer(key: string): Promise<Buffer> {
    const stream = await this.client.getObject(this.bucket, assertObjectKey(key));
    const chunks: Buffer[] = [];
    for await (const chunk of stream as Readable) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * An object read whole in one request when it is at most `maxBytes` long, or undefined when
   * it does not exist. A longer one stops being read past `maxBytes + 1` bytes (memory stays
   * bounded whatever was stored), so a caller comparing the length sees it is too long.
   */
  async getBufferUpTo(key: string, maxBytes: number): Promise<Buffer | undefined> {
    let stream: Readable;
    try {
      stream = (await this.client.getObject(this.bucket, assertObjectKey(key))) as Readable;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length > maxBytes) {
        stream.destroy();
        break;
      }
    }
    return Buffer.concat(chunks).subarray(0, maxBytes + 1);
  }

  /** Size of an object, or undefined when it does not exist. */
  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await this.client.statObject(this.bucket, assertObjectKey(key));
      return { key, size: s.size };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** sha256 of an object's bytes, streamed (bounded memory). */
  async sha256(key: string): Promise<string> {
    const stream = (await this.client.getObject(this.bucket, assertObjectKey(key))) as Readable;
    const hash = createHash('sha256');
    for await (const chunk of stream) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  /**
   * A presigned create-only PUT for exactly the declared bytes (presignBoundPut): the sender's
   * source upload and the workers' outputs. The client must send the returned headers as they are.
   */
  async presignBoundPut(key: string, binding: PutBinding, window: PutWindow): Promise<BoundPut> {
    const { accessKey, secretKey, region } = this.settings;
    return presignBoundPut({ endpoint: this.settings.publicUrl ?? this.settings.endpoint, region, accessKey, secretKey, bucket: this.bucket, key }, binding, window);
  }

  async presignGet(key: string, ttlSec: number): Promise<string> {
    return this.presigner.presignedGetObject(this.bucket, assertObjectKey(key), ttlSec);
  }

  /** Unsigned URL of an object, for manifests and segments served to players. */
  publicUrl(key: string): string {
    const base = (this.settings.publicUrl ?? this.settings.endpoint).replace(/\/$/, '');
    return `${base}/${this.bucket}/${assertObjectKey(key).split('/').map(encodeURIComponent).join('/')}`;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const stream = this.client.listObjectsV2(this.bucket, assertKeyPrefix(prefix), true);
    for await (const item of stream as AsyncIterable<{ name?: string; size: number }>) {
      if (item.name) out.push({ key: item.name, size: item.size });
    }
    return out;
  }

  /** One DELETE per object (s3rver answers multi-object delete with 500s), 16 at a time. */
  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((k) => this.client.removeObject(this.bucket, assertObjectKey(k))));
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    const keys = (await this.list(prefix)).map((o) => o.key);
    await this.delete(keys);
    return keys.length;
  }

  async ping(): Promise<boolean> {
    return this.client.bucketExists(this.bucket).catch(() => false);
  }
}

/** A write-once object already holds other bytes than the ones written now. */
export class ObjectConflictError extends Error {
  constructor(
    readonly key: string,
    readonly storedSha256: string,
    readonly writtenSha256: string,
  ) {
    super(`${key} already holds other bytes (sha256 ${storedSha256}, not ${writtenSha256}); it is never overwritten`);
    this.name = 'ObjectConflictError';
  }
}

function clientFor(url: string, s: StorageSettings): Minio.Client {
  const u = new URL(url);
  const useSSL = u.protocol === 'https:';
  return new Minio.Client({
    endPoint: u.hostname,
    port: Number(u.port || (useSSL ? 443 : 80)),
    useSSL,
    accessKey: s.accessKey,
    secretKey: s.secretKey,
    region: s.region,
    pathStyle: true,
    partSize: s.singlePart ? 5 * ONE_GIB : undefined,
  });
}

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchBucket';
}

/** sha256 of a local file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

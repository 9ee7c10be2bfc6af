import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { encryptChunks } from '@airlock/crypto';
import { outputObjectKey, storageKeys } from '@airlock/domain';
import { TerminalError } from '@airlock/queue';
import type { ObjectStore } from '@airlock/storage';
import type { HeartbeatResponse } from '@airlock/contracts';
import type { AttemptGrant, AttemptOutcome, GrantIds, UploadFile } from '../grants/grant-client';

/**
 * Test-only stand-in for the api side of the grant exchange (used by specs, never by main.ts).
 * The real exchange (job token, X25519 wrapping, DB checks) is tested in the api; here the
 * worker gets what the api would hand it: real keys, a presigned GET for the sealed source and
 * presigned PUTs for exactly the content-hash keys it asks for, against the real store.
 */

/** A sealed source as the api knows it: where it is and what the sender declared. */
export interface SealedSource {
  readonly key: string;
  readonly sha256: string;
  readonly sizeBytes: number;
}

/** One media row of the pretend api: its source and its keys (the api's copies, never wiped). */
export interface GrantedMedia {
  readonly source: SealedSource;
  readonly contentKey: Uint8Array;
  readonly outputKey: Uint8Array;
  readonly outputKeyId: string;
}

/** Everything that happened to one grant, for assertions after the attempt. */
export interface IssuedGrant {
  readonly ids: GrantIds;
  /** The worker's copies, as handed out: `wipe()` must leave them all zero. */
  readonly contentKey: Uint8Array;
  readonly outputKey: Uint8Array;
  readonly uploadRequests: UploadFile[][];
  /** 'wipe', 'heartbeat' and 'release' in call order. */
  readonly calls: ('wipe' | 'heartbeat' | 'release')[];
  /** The outcome each release reported. */
  readonly outcomes: (AttemptOutcome | undefined)[];
}

export function isZeroed(key: Uint8Array): boolean {
  return key.length > 0 && key.every((b) => b === 0);
}

/** Fresh output key material for a media: 16-byte key, 32-hex key id. */
export function newOutputKey(): { outputKey: Uint8Array; outputKeyId: string } {
  return { outputKey: new Uint8Array(randomBytes(16)), outputKeyId: randomBytes(16).toString('hex') };
}

/** Seal a plaintext file as a sender does (chunked AES-256-GCM); returns the ciphertext. */
export async function sealFile(file: string, contentKey: Uint8Array, chunkSize = 64 * 1024): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of encryptChunks(contentKey, createReadStream(file) as AsyncIterable<Uint8Array>, chunkSize)) parts.push(part);
  return Buffer.concat(parts);
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Put ciphertext into the store under its own content hash, as the sender's upload does. */
export async function putSealed(store: ObjectStore, mediaId: string, ciphertext: Buffer): Promise<SealedSource> {
  const sha256 = sha256Hex(ciphertext);
  const key = storageKeys.source(mediaId, sha256);
  await store.putBuffer(key, ciphertext);
  return { key, sha256, sizeBytes: ciphertext.length };
}

/** The part of ObjectStore the pretend api uses (ObjectStore itself in integration specs). */
export interface Presigner {
  presignGet(key: string, ttlSec: number): Promise<string>;
  presignBoundPut: ObjectStore['presignBoundPut'];
}

export class StoreGrantClient {
  readonly issued: IssuedGrant[] = [];
  /** What `release()` answers (the api being unreachable makes it false). */
  releaseSucceeds = true;
  /** The grant expires while the attempt works: the api refuses its upload URLs (401 grant_expired, retryable). */
  expireBeforeUpload = false;
  /** What heartbeats are answered (e.g. `{ live: false, reason: 'media_not_processing' }` once the media is deleted). */
  heartbeatVerdict: HeartbeatResponse = { live: true };
  private readonly media = new Map<string, GrantedMedia>();

  constructor(
    private readonly store: Presigner,
    private readonly urlTtlSec = 300,
  ) {}

  addMedia(mediaId: string, media: GrantedMedia): void {
    this.media.set(mediaId, media);
  }

  grantsFor(taskId: string): IssuedGrant[] {
    return this.issued.filter((g) => g.ids.taskId === taskId);
  }

  /** Same signature as GrantClient.acquire. An unknown media is refused as the api refuses it (4xx: terminal). */
  async acquire(ids: GrantIds): Promise<AttemptGrant> {
    const media = this.media.get(ids.mediaId);
    if (!media) throw new TerminalError('task_not_in_media', 'grant exchange refused: The task does not belong to that media and job.');
    // Fresh copies per grant, as unwrapping a JWE yields: wiping them must not touch the api's keys.
    const contentKey = Uint8Array.from(media.contentKey);
    const outputKey = Uint8Array.from(media.outputKey);
    // Only what a job token carries (runAttempt is handed the whole task payload).
    const claims: GrantIds = { attemptId: ids.attemptId, mediaId: ids.mediaId, jobId: ids.jobId, taskId: ids.taskId };
    const record: IssuedGrant = { ids: claims, contentKey, outputKey, uploadRequests: [], calls: [], outcomes: [] };
    this.issued.push(record);
    const store = this.store;
    const ttl = this.urlTtlSec;
    return {
      grantId: `grant-${this.issued.length}`,
      contentKey,
      outputKey,
      outputKeyId: media.outputKeyId,
      source: { url: await store.presignGet(media.source.key, ttl), sha256: media.source.sha256, sizeBytes: media.source.sizeBytes },
      expiresAt: new Date(Date.now() + ttl * 1000),
      uploadUrls: async (files) => {
        if (this.expireBeforeUpload) throw new Error('grant_expired: grant exchange refused: The grant has expired; a new attempt needs a new grant.');
        record.uploadRequests.push(files.map((f) => ({ ...f })));
        const uploads: { key: string; url: string; headers: Record<string, string> }[] = [];
        for (const f of files) {
          // As the api answers: create-only, bound to the declared sha256 and length.
          const key = outputObjectKey(ids.mediaId, f);
          const put = await store.presignBoundPut(key, { sizeBytes: f.sizeBytes, sha256Hex: f.sha256 }, { signedAt: new Date(), ttlSec: ttl });
          uploads.push({ key, url: put.url, headers: put.headers });
        }
        return uploads;
      },
      heartbeat: () => {
        record.calls.push('heartbeat');
        return Promise.resolve(this.heartbeatVerdict);
      },
      release: (outcome) => {
        record.calls.push('release');
        record.outcomes.push(outcome);
        return Promise.resolve(this.releaseSucceeds);
      },
      wipe: () => {
        record.calls.push('wipe');
        contentKey.fill(0);
        outputKey.fill(0);
      },
    };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { JWK } from 'jose';
import { GrantResponse, HeartbeatResponse, UploadResponse } from '@airlock/contracts';
import { JobTokenError, VerifiedJobToken, verifyJobToken } from '@airlock/crypto';
import { appendEvent, Prisma } from '@airlock/db';
import { AUDIO_RENDITION, outputObjectKey } from '@airlock/domain';
import { grantRefusalsTotal } from '@airlock/telemetry';
import { API_DEPS, ApiDeps } from '../api.deps';
import { ApiError } from '../http/api-error';
import { rewrapKey } from '../keys/content-key';
import { closeGrant, GrantView, isUuid, openGrant, readExchange, readGrant } from './grant.queries';

type UploadFile = { kind: 'init' | 'media' | 'file'; rendition: string; segmentIndex: number; sha256: string; sizeBytes: number };

const PROCESSING_STATES = new Set(['queued', 'processing', 'preview_ready', 'verifying']);

/**
 * The grant exchange: the only place a content key is opened outside a sender or recipient,
 * and only to re-wrap it to one worker attempt's ephemeral key. Every refusal is a clear 4xx,
 * counted in airlock_grant_refusals_total{reason}; one of a token whose signature verified is
 * also a timeline event of the media it names (reason code only). A token whose signature did
 * not verify names nothing anyone vouches for, so it writes nothing to the database.
 */
@Injectable()
export class GrantService {
  constructor(@Inject(API_DEPS) private readonly deps: ApiDeps) {}

  async exchange(token: string, ephemeralPublicJwk: JWK, queueJob?: { queue: string; id: string }): Promise<GrantResponse> {
    const claims = await this.verify(token);
    const { quarantineReason, task } = await readExchange(this.deps.db, claims);
    if (quarantineReason !== null) throw await this.refuse(claims, 403, 'worker_quarantined', `Worker ${claims.workerId} is quarantined (${quarantineReason}) until an operator clears it.`);
    if (!task) throw await this.refuse(claims, 403, 'task_not_in_media', 'The task does not belong to that media and job.');
    const media = task.media;
    const ttlLimit = task.policy?.worker_key_ttl_seconds;
    const now = Date.now();
    if (ttlLimit !== undefined && outlives(claims, ttlLimit, this.deps.config.GRANT_CLOCK_SKEW_SEC, now)) {
      throw await this.refuse(claims, 403, 'token_ttl_too_long', `The job token outlives the tenant's worker_key_ttl_seconds (${ttlLimit}).`);
    }
    if (!PROCESSING_STATES.has(media.state)) throw await this.refuse(claims, 409, 'media_not_processing', `The media is ${media.state}; no grant is given.`);
    if (task.state === 'succeeded' && task.winningAttemptId !== claims.attemptId) {
      throw await this.refuse(claims, 409, 'task_already_done', 'Another attempt already completed this task.');
    }
    if (task.needsOtherWorker) {
      throw await this.refuse(claims, 409, 'needs_other_worker', 'A duplicate must be done by another worker than its twin, and a refused output by a worker that has not voted on it.');
    }

    // The grant lives until the token expires, and never longer from now than the policy allows.
    const expiresAt = new Date(Math.min(claims.expiresAt.getTime(), now + (ttlLimit ?? this.deps.config.GRANT_MAX_TTL_SEC) * 1000));
    // Everything that can fail is done before the grant and its attempt are committed: a failure
    // leaves no running attempt and no spent jti, so the worker's retry of the same token works.
    const ttl = Math.max(1, Math.min(this.deps.config.GRANT_URL_TTL_SEC, Math.floor((expiresAt.getTime() - now) / 1000)));
    let answer: Omit<GrantResponse, 'grantId'>;
    try {
      answer = {
        expiresAt: expiresAt.toISOString(),
        contentKeyJwe: await rewrapKey(media.contentKeyJwe, this.deps.pipelineKey.privateJwk, ephemeralPublicJwk),
        outputKeyJwe: await rewrapKey(media.outputKeyJwe, this.deps.pipelineKey.privateJwk, ephemeralPublicJwk),
        outputKeyId: media.outputKeyId,
        source: { url: await this.deps.store.presignGet(media.sourceKey, ttl), sha256: media.sourceSha256, sizeBytes: Number(media.sourceSizeBytes) },
      };
    } catch (e) {
      if (e instanceof ApiError) throw await this.refuse(claims, e.getStatus(), e.code, e.message);
      throw e;
    }

    try {
      return { grantId: await openGrant(this.deps.db, claims, { id: task.id, jobId: task.jobId, mediaId: media.id }, expiresAt, queueJob), ...answer };
    } catch (e) {
      if (isUniqueViolation(e)) throw await this.refuse(claims, 409, 'token_replayed', 'This job token was already exchanged.');
      throw e;
    }
  }

  /**
   * Presigned PUTs for exactly the content-hash keys this task may write, while the grant lives.
   * Each is the same bound PUT as a source upload (ObjectStore.presignBoundPut): create-only and
   * bound to the declared sha256 and length, so a URL can write its object once, with those bytes,
   * and never overwrite it (not after the verifier passed it, not after the media is ready).
   */
  async uploads(grantId: string, token: string, files: UploadFile[]): Promise<UploadResponse> {
    const { grant, claims } = await this.liveGrant(grantId, token);
    const task = grant.task;
    const signedAt = new Date();
    const ttl = Math.max(1, Math.min(this.deps.config.GRANT_URL_TTL_SEC, Math.floor((grant.expiresAt.getTime() - signedAt.getTime()) / 1000)));
    const uploads = [];
    for (const f of files) {
      const allowed =
        task.kind === 'audio'
          ? f.rendition === AUDIO_RENDITION && f.kind !== 'file'
          : task.kind === 'file'
            ? f.kind === 'file' && f.rendition === task.rendition
            : task.kind === 'video' && f.rendition === task.rendition && (f.kind === 'init' || (f.kind === 'media' && f.segmentIndex === task.segmentIndex));
      if (!allowed) throw await this.refuse(claims, 403, 'outside_grant', `The grant does not cover ${f.rendition} ${f.kind} ${f.segmentIndex}.`);
      const key = outputObjectKey(grant.mediaId, f);
      const put = await this.deps.store.presignBoundPut(key, { sizeBytes: f.sizeBytes, sha256Hex: f.sha256 }, { signedAt, ttlSec: ttl });
      uploads.push({ key, url: put.url, headers: put.headers });
    }
    return { uploads };
  }

  /**
   * The attempt ends: the grant is revoked, and a failed attempt is closed with its reason
   * (a successful one stays `running` until the record step counts it).
   */
  async release(grantId: string, token: string, outcome?: { ok: boolean; code?: string }): Promise<{ released: true }> {
    const { grant } = await this.liveGrant(grantId, token, { allowRevoked: true });
    await closeGrant(this.deps.db, grant, outcome);
    return { released: true };
  }

  /**
   * A running attempt says it is alive. The answer tells it to stop when its work is no longer
   * wanted: the media left processing (deleted, failed), the grant was revoked, or the watchdog
   * gave the task to a new attempt.
   */
  async heartbeat(grantId: string, token: string): Promise<HeartbeatResponse> {
    let grant: GrantView;
    try {
      ({ grant } = await this.liveGrant(grantId, token));
    } catch (e) {
      if (e instanceof ApiError && e.getStatus() !== 401) return { live: false, reason: e.code };
      throw e;
    }
    const { count } = await this.deps.db.attempt.updateMany({ where: { id: grant.attemptId, state: 'running' }, data: { heartbeatAt: new Date() } });
    return count === 1 ? { live: true } : { live: false, reason: 'attempt_not_running' };
  }

  private async liveGrant(grantId: string, token: string, opts: { allowRevoked?: boolean } = {}) {
    const claims = await this.verify(token);
    const grant = await readGrant(this.deps.db, grantId);
    if (!grant || grant.jti !== claims.jti) throw await this.refuse(claims, 403, 'grant_mismatch', 'The token does not hold this grant.');
    if (grant.revokedAt && !opts.allowRevoked) throw await this.refuse(claims, 403, 'grant_revoked', 'The grant was revoked.');
    if (grant.expiresAt.getTime() <= Date.now() && !opts.allowRevoked) throw await this.refuse(claims, 401, 'grant_expired', 'The grant has expired; a new attempt needs a new grant.');
    if (!opts.allowRevoked && !PROCESSING_STATES.has(grant.mediaState)) throw await this.refuse(claims, 409, 'media_not_processing', `The media is ${grant.mediaState}.`);
    return { grant, claims };
  }

  private async verify(token: string): Promise<VerifiedJobToken> {
    try {
      return await verifyJobToken(token, this.deps.config.WORKER_PUBLIC_JWKS as unknown as JWK[], this.deps.config.GRANT_MAX_TTL_SEC, this.deps.config.GRANT_CLOCK_SKEW_SEC);
    } catch (e) {
      if (!(e instanceof JobTokenError)) throw e;
      const code = `token_${e.reason}`;
      grantRefusalsTotal.inc({ reason: code });
      if (e.signedMediaId !== undefined) await this.recordSigned(e.signedMediaId, code);
      throw new ApiError(e.reason === 'wrong_audience' || e.reason === 'ttl_too_long' ? 403 : 401, code, e.message);
    }
  }

  /**
   * A token the fleet signed but that is refused (expired, issued in the future, too long-lived,
   * another audience): the media it names is trusted, and the refusal goes on its timeline if
   * it exists. Never called for a token whose signature did not verify.
   */
  private async recordSigned(mediaId: string, code: string): Promise<void> {
    if (!isUuid(mediaId)) return;
    if (!(await this.deps.db.media.findUnique({ where: { id: mediaId }, select: { id: true } }))) return;
    await appendEvent(this.deps.db, { mediaId, type: 'grant_refused', reason: code });
  }

  private async refuse(claims: VerifiedJobToken, status: number, code: string, message: string): Promise<ApiError> {
    grantRefusalsTotal.inc({ reason: code });
    const exists = await this.deps.db.media.findUnique({ where: { id: claims.mediaId }, select: { id: true } }).catch(() => null);
    if (exists) {
      await appendEvent(this.deps.db, { mediaId: claims.mediaId, type: 'grant_refused', reason: code, data: { taskId: claims.taskId, attemptId: claims.attemptId, workerId: claims.workerId } });
    }
    return new ApiError(status, code, message);
  }
}

/** The token lives longer than `ttlSec`, counted from its iat or from now (with the clock skew). */
function outlives(claims: VerifiedJobToken, ttlSec: number, skewSec: number, now: number): boolean {
  const exp = claims.expiresAt.getTime();
  return (exp - claims.issuedAt.getTime()) / 1000 > ttlSec || (exp - now) / 1000 > ttlSec + skewSec;
}

/** A unique key was taken: the token's jti (or its attempt id) was exchanged before. Raw statements report it as P2010 from the driver adapter. */
function isUniqueViolation(e: unknown): boolean {
  if (!(e instanceof Prisma.PrismaClientKnownRequestError)) return false;
  const cause = (e.meta as { driverAdapterError?: { cause?: { kind?: string } } } | undefined)?.driverAdapterError?.cause;
  return e.code === 'P2002' || cause?.kind === 'UniqueConstraintViolation';
}

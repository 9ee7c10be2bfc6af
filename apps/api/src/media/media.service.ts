import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CreateMediaRequest, CreateMediaResponse, JobName, ListMediaQuery, MediaList, MediaView } from '@airlock/contracts';
import { appendEvent, Media, Prisma, transitionMedia, transitionMediaIn } from '@airlock/db';
import { DEFAULT_PROFILES, findFileProfile, MediaState, recipientStatus, sizeClass, storageKeys, unknownProfiles } from '@airlock/domain';
import { jobIdOf } from '@airlock/queue';
import { wrapKey } from '@airlock/crypto';
import { API_DEPS, ApiDeps } from '../api.deps';
import { ApiError, notFound } from '../http/api-error';
import { assertContentKeyOpens } from '../keys/content-key';

interface PlanJson {
  renditions?: { name: string }[];
  audio?: boolean;
}
interface ProbeJson {
  video?: { width: number; height: number };
  audio?: unknown;
}

@Injectable()
export class MediaService {
  constructor(@Inject(API_DEPS) private readonly deps: ApiDeps) {}

  async create(tenantId: string, body: CreateMediaRequest, idempotencyKey?: string): Promise<CreateMediaResponse> {
    if (idempotencyKey) {
      const existing = await this.deps.db.media.findUnique({ where: { tenantId_idempotencyKey: { tenantId, idempotencyKey } } });
      if (existing) return this.createdResponse(existing);
    }
    await this.checkPolicy(tenantId, body);
    // A key no grant could open would fail every attempt later: refused here, 422 content_key_invalid.
    await assertContentKeyOpens(body.source.contentKeyJwe, this.deps.pipelineKey.privateJwk);
    const id = crypto.randomUUID();
    const outputKeys = await this.outputKeysFor(body.recipients);
    // The upload URL is signed at creation and lives UPLOAD_URL_TTL_SEC from then, however often it is asked for again;
    // until it is uploaded, expiresAt is that deadline (the sweeper expires the media a grace period after it).
    const createdAt = new Date();
    const uploadDeadline = new Date(createdAt.getTime() + this.deps.config.UPLOAD_URL_TTL_SEC * 1000);
    try {
      const media = await this.deps.db.$transaction(async (tx) => {
        const created = await tx.media.create({
          data: {
            id,
            contentKeyJwe: body.source.contentKeyJwe,
            outputKeyJwe: outputKeys.pipelineJwe,
            outputKeyId: outputKeys.keyId,
            recipients: { create: outputKeys.recipients },
            tenantId,
            messageId: body.messageId,
            roomId: body.roomId,
            idempotencyKey,
            profiles: body.profiles ?? DEFAULT_PROFILES.filter((p) => this.deps.policies(tenantId).allowed_profiles.includes(p)),
            sourceKey: storageKeys.source(id, body.source.sha256),
            sourceSha256: body.source.sha256,
            sourceSizeBytes: BigInt(body.source.sizeBytes),
            sizeClass: sizeClass(body.source.sizeBytes),
            createdAt,
            expiresAt: uploadDeadline,
          },
        });
        await appendEvent(tx, { mediaId: id, type: 'state_changed', toState: 'created', reason: 'created', data: { sizeClass: created.sizeClass, profiles: created.profiles } });
        return created;
      });
      return this.createdResponse(media);
    } catch (e) {
      // A concurrent request with the same idempotency key won the insert: return its media.
      if (idempotencyKey && e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') {
        const existing = await this.deps.db.media.findUniqueOrThrow({ where: { tenantId_idempotencyKey: { tenantId, idempotencyKey } } });
        return this.createdResponse(existing);
      }
      throw e;
    }
  }

  /** Everything the policy can decide before a byte is uploaded or any compute is spent. */
  private async checkPolicy(tenantId: string, body: CreateMediaRequest): Promise<void> {
    const policy = this.deps.policies(tenantId);
    const unknown = unknownProfiles(body.profiles ?? []);
    if (unknown.length > 0) throw new ApiError(422, 'unknown_profile', `Unknown profile(s): ${unknown.join(', ')}.`, { unknown });
    const refused = (body.profiles ?? []).filter((p) => !policy.allowed_profiles.includes(p));
    if (refused.length > 0) throw new ApiError(422, 'profile_not_allowed', `Profile(s) not allowed for this tenant: ${refused.join(', ')}.`, { refused });
    if (body.source.sizeBytes > policy.max_size_bytes) {
      throw new ApiError(413, 'media_too_large', `The source is larger than the tenant's limit of ${policy.max_size_bytes} bytes.`, { limit: policy.max_size_bytes });
    }
    const active: MediaState[] = ['created', 'uploaded', 'queued', 'processing', 'preview_ready', 'verifying'];
    const perTenant = await this.deps.db.media.count({ where: { tenantId, state: { in: active } } });
    if (perTenant >= policy.quotas.max_active_media_per_tenant) {
      throw new ApiError(429, 'quota_exceeded', `The tenant already has ${perTenant} media in flight (limit ${policy.quotas.max_active_media_per_tenant}).`, { scope: 'tenant' });
    }
    if (body.roomId) {
      const perRoom = await this.deps.db.media.count({ where: { tenantId, roomId: body.roomId, state: { in: active } } });
      if (perRoom >= policy.quotas.max_active_media_per_room) {
        throw new ApiError(429, 'quota_exceeded', `The room already has ${perRoom} media in flight (limit ${policy.quotas.max_active_media_per_room}).`, { scope: 'room' });
      }
    }
  }

  /**
   * A fresh output key per media, wrapped to the pipeline key (for grants) and to every recipient.
   * The raw key lives only in this call's memory and is zeroed before returning.
   */
  private async outputKeysFor(recipients: CreateMediaRequest['recipients']) {
    const ids = new Set(recipients.map((r) => r.id));
    if (ids.size !== recipients.length) throw new ApiError(422, 'duplicate_recipient', 'Each recipient may appear once.');
    // 128-bit: the CENC/cbcs and ClearKey key size players expect.
    const key = globalThis.crypto.getRandomValues(new Uint8Array(16));
    try {
      return {
        keyId: Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(16))).toString('hex'),
        pipelineJwe: await wrapKey(key, this.deps.pipelineKey.publicJwk),
        recipients: await Promise.all(
          recipients.map(async (r) => ({ recipientId: r.id, publicJwk: r.publicJwk, outputKeyJwe: await wrapKey(key, r.publicJwk) })),
        ),
      };
    } finally {
      key.fill(0);
    }
  }

  /**
   * The upload target: a create-only PUT bound to the declared size and sha256 (the store refuses
   * other bytes, and any write once the source is there), signed at the media's creation so a
   * repeated create (idempotency key) does not stretch the upload window.
   */
  private async createdResponse(media: Media): Promise<CreateMediaResponse> {
    const upload = await this.deps.store.presignBoundPut(
      media.sourceKey,
      { sizeBytes: Number(media.sourceSizeBytes), sha256Hex: media.sourceSha256 },
      { signedAt: media.createdAt, ttlSec: this.deps.config.UPLOAD_URL_TTL_SEC },
    );
    return {
      id: media.id,
      state: media.state,
      upload: {
        url: upload.url,
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream', ...upload.headers },
        expiresAt: upload.expiresAt.toISOString(),
      },
    };
  }

  /**
   * Checks the object is there and whole, then hands the media to the orchestrator.
   * Repeats are harmless: the start job's id is derived from the media, and a media already
   * past `uploaded` is answered with its state.
   */
  async uploadComplete(tenantId: string, id: string): Promise<{ id: string; state: MediaState }> {
    const media = await this.find(tenantId, id);
    if (media.state === 'created') await this.acceptUpload(media);
    const current = await this.find(tenantId, id);
    // Also re-sends the start when an earlier call stored `uploaded` but could not enqueue.
    if (current.state === 'uploaded') await this.deps.queues.add(JobName.MediaStart, { mediaId: id }, { jobId: jobIdOf('start', id) });
    return { id, state: current.state };
  }

  private async acceptUpload(media: Media): Promise<void> {
    const object = await this.deps.store.stat(media.sourceKey);
    const declared = Number(media.sourceSizeBytes);
    if (!object) throw new ApiError(409, 'upload_missing', 'No uploaded object was found; PUT the file to the upload URL first.');
    if (object.size < declared) {
      throw new ApiError(409, 'upload_incomplete', `The upload has ${object.size} of ${declared} bytes; finish the upload and call again.`, { received: object.size, declared });
    }
    if (object.size !== declared) {
      const message = 'The uploaded object is larger than declared.';
      await transitionMedia(this.deps.db, { mediaId: media.id, to: 'failed_terminal', reason: 'source_mismatch', set: { failureCode: 'source_mismatch', failureMessage: message } });
      throw new ApiError(422, 'source_mismatch', message, { received: object.size, declared });
    }
    await transitionMedia(this.deps.db, { mediaId: media.id, to: 'uploaded', reason: 'upload_complete' });
  }

  /**
   * Re-drive a media that failed for a transient cause: it is queued again, and the orchestrator
   * resumes its job (done tasks stay done, failed ones run again under a new flow).
   */
  async redrive(tenantId: string, id: string): Promise<{ id: string; state: MediaState }> {
    const media = await this.find(tenantId, id);
    const moved =
      media.state === 'failed_retryable' &&
      (await transitionMedia(this.deps.db, { mediaId: id, to: 'queued', reason: 'redriven', set: { failureCode: null, failureMessage: null } }));
    if (!moved) throw new ApiError(409, 'not_redrivable', `The media is ${media.state}; only a media in failed_retryable can be re-driven.`);
    const redrives = await this.deps.db.event.count({ where: { mediaId: id, type: 'state_changed', reason: 'redriven' } });
    await this.deps.queues.add(JobName.MediaStart, { mediaId: id }, { jobId: jobIdOf('start', id, 'redrive', redrives) });
    return { id, state: 'queued' };
  }

  /**
   * The view and its ETag. Given the ETag the caller already has and a wait, the answer is held
   * until the media changes (Postgres notifies it: MediaChanges) or the wait runs out: a long
   * poll, so a waiting app costs one read per change instead of one per poll.
   */
  async viewWhenChanged(tenantId: string, id: string, seenEtag: string | undefined, waitMs: number): Promise<{ view: MediaView; etag: string }> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      // Watching before reading: a change between the read and the wait is not missed.
      const watch = seenEtag !== undefined && waitMs > 0 ? await this.deps.changes.watch(id) : undefined;
      try {
        const view = await this.view(tenantId, id);
        const etag = etagOf(view);
        const left = deadline - Date.now();
        if (!watch || etag !== seenEtag || left <= 0 || !(await watch.changed(left))) return { view, etag };
      } finally {
        watch?.close();
      }
    }
  }

  async view(tenantId: string, id: string): Promise<MediaView> {
    const media = await this.find(tenantId, id);
    const job = await this.deps.db.job.findFirst({ where: { mediaId: id }, orderBy: { createdAt: 'desc' } });
    const recipients = await this.deps.db.recipient.findMany({ where: { mediaId: id }, orderBy: { recipientId: 'asc' } });
    const plan = (job?.plan ?? {}) as PlanJson;
    const probe = (job?.probe ?? undefined) as ProbeJson | undefined;
    const ready = media.state === 'ready';
    const files = ready ? await this.deps.db.output.findMany({ where: { mediaId: id, kind: 'file' }, orderBy: { rendition: 'asc' } }) : [];
    // The early stage's renditions are playable from its publish on, while the media lives.
    const early = ['processing', 'preview_ready', 'verifying', 'ready'].includes(media.state) && media.earlyHlsKey && media.earlyDashKey ? media.earlyRenditions : [];
    const renditions = [...(plan.renditions ?? []).map((r) => r.name), ...(plan.audio ? ['audio'] : [])].map((name) => ({ name, ready: ready || early.includes(name) }));
    return {
      id: media.id,
      state: media.state,
      recipientStatus: recipientStatus(media.state),
      progress: { done: job?.tasksSucceeded ?? 0, total: job?.tasksTotal ?? 0 },
      ...(probe
        ? { probe: { durationClass: media.durationClass, width: probe.video?.width, height: probe.video?.height, hasAudio: probe.audio !== undefined } }
        : {}),
      renditions,
      ...(ready && media.manifestHlsKey && media.manifestDashKey
        ? { manifests: { hls: this.deps.store.publicUrl(media.manifestHlsKey), dash: this.deps.store.publicUrl(media.manifestDashKey) } }
        : {}),
      // Chat files, sealed under the key derived from the output key (deriveBlobKey).
      ...(files.length > 0
        ? { files: files.map((f) => ({ name: f.rendition, url: this.deps.store.publicUrl(f.key), sha256: f.sha256, sizeBytes: Number(f.sizeBytes), contentType: findFileProfile(f.rendition)?.contentType ?? 'application/octet-stream' })) }
        : {}),
      ...(early.length > 0 && media.earlyHlsKey && media.earlyDashKey
        ? { early: { renditions: early, hls: this.deps.store.publicUrl(media.earlyHlsKey), dash: this.deps.store.publicUrl(media.earlyDashKey) } }
        : {}),
      // The muted preview, from preview_ready on, while the media lives.
      ...(['preview_ready', 'verifying', 'ready'].includes(media.state) && media.previewHlsKey && media.previewDashKey
        ? { preview: { hls: this.deps.store.publicUrl(media.previewHlsKey), dash: this.deps.store.publicUrl(media.previewDashKey) } }
        : {}),
      ...(media.failureCode ? { failure: { code: media.failureCode, message: media.failureMessage ?? '' } } : {}),
      keyId: media.outputKeyId,
      keys: media.state === 'deleted' ? [] : recipients.map((r) => ({ recipientId: r.recipientId, jwe: r.outputKeyJwe })),
      createdAt: media.createdAt.toISOString(),
      updatedAt: media.updatedAt.toISOString(),
    };
  }

  /** One page of the tenant's media, newest first; `nextCursor` continues after the last item. */
  async list(tenantId: string, query: ListMediaQuery): Promise<MediaList> {
    const rows = await this.deps.db.media.findMany({
      where: { tenantId, ...(query.roomId ? { roomId: query.roomId } : {}) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
      ...(query.cursor ? { cursor: { id: query.cursor }, skip: 1 } : {}),
      select: { id: true, state: true, roomId: true, createdAt: true },
    });
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((m) => ({ id: m.id, state: m.state, recipientStatus: recipientStatus(m.state), roomId: m.roomId ?? undefined, createdAt: m.createdAt.toISOString() })),
      nextCursor: rows.length > query.limit ? page[page.length - 1]?.id : undefined,
    };
  }

  /** Deletion beats completion: `deleted` has no way out, and every object of the media is purged. */
  async remove(tenantId: string, id: string): Promise<{ id: string; state: 'deleted' }> {
    await this.find(tenantId, id);
    await this.deps.db.$transaction(async (tx) => {
      // The transition also revokes every grant of the media: running attempts learn it at their next heartbeat.
      if (!(await transitionMediaIn(tx, { mediaId: id, to: 'deleted', reason: 'deleted_by_sender' }))) return;
      await tx.job.updateMany({ where: { mediaId: id, state: { notIn: ['published', 'failed', 'cancelled'] } }, data: { state: 'cancelled' } });
      await tx.task.updateMany({ where: { job: { mediaId: id }, state: { in: ['queued', 'running'] } }, data: { state: 'cancelled' } });
    });
    let purged = 0;
    for (const prefix of storageKeys.mediaPrefixes(id)) purged += await this.deps.store.deletePrefix(prefix);
    await appendEvent(this.deps.db, { mediaId: id, type: 'objects_purged', reason: 'deleted_by_sender', data: { objects: purged } });
    return { id, state: 'deleted' };
  }

  async timeline(tenantId: string, id: string) {
    await this.find(tenantId, id);
    const events = await this.deps.db.event.findMany({ where: { mediaId: id }, orderBy: { id: 'asc' } });
    // The verifier's per-output record: how many outputs passed, and every refusal with its reason and the attempt blamed.
    const passed = await this.deps.db.outputCheck.count({ where: { mediaId: id, passed: true } });
    const refused = await this.deps.db.outputCheck.findMany({ where: { mediaId: id, passed: false }, orderBy: { id: 'asc' } });
    // Every attempt of every task: did a worker start, on which path (hardware, CPU, stream copy), how did it end.
    const attempts = await this.deps.db.attempt.findMany({ where: { task: { job: { mediaId: id } } }, include: { task: { select: { kind: true, rendition: true, segmentIndex: true, role: true } } }, orderBy: { startedAt: 'asc' } });
    return {
      id,
      events: events.map((e) => ({ at: e.at.toISOString(), type: e.type, from: e.fromState, to: e.toState, reason: e.reason, data: e.data })),
      attempts: attempts.map((a) => ({
        at: a.startedAt.toISOString(),
        task: `${a.task.kind} ${a.task.rendition}${a.task.kind === 'video' ? ` segment ${a.task.segmentIndex}` : ''}${a.task.role === 'duplicate' ? ' (duplicate)' : ''}`,
        attempt: a.number,
        workerId: a.workerId,
        state: a.state,
        encoderPath: a.encoderPath,
        reason: a.errorCode,
        finishedAt: a.finishedAt?.toISOString() ?? null,
      })),
      verification: {
        outputsPassed: passed,
        refusals: refused.map((c) => ({ at: c.checkedAt.toISOString(), reason: c.reason, detail: c.detail, key: c.key, taskId: c.taskId, attemptId: c.attemptId, workerId: c.workerId })),
      },
    };
  }

  /** Tenant-scoped lookup: another tenant's media is indistinguishable from a missing one. */
  private async find(tenantId: string, id: string): Promise<Media> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound();
    const media = await this.deps.db.media.findFirst({ where: { id, tenantId } });
    if (!media) throw notFound();
    return media;
  }
}

/** A strong ETag of a view: any change of what the caller sees changes it. */
function etagOf(view: MediaView): string {
  return `"${createHash('sha256').update(JSON.stringify(view)).digest('base64url').slice(0, 32)}"`;
}

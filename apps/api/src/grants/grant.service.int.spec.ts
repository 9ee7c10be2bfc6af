import { createHash, randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { generateSigningKeyPair, generateX25519KeyPair, JOB_TOKEN_AUDIENCE, signJobToken, unwrapKey, wrapKey } from '@airlock/crypto';
import { DEFAULT_MEDIA_POLICY } from '@airlock/domain';
import { grantRefusalsTotal } from '@airlock/telemetry';
import { IntegrationEnv, startIntegrationEnv } from '@airlock/testing';
import { ApiDeps } from '../api.deps';
import { ApiError } from '../http/api-error';
import { GrantService } from './grant.service';
import { apiTestDeps } from '../testing/api-test-app';

/** The grant exchange against real Postgres and s3rver: every refusal, and storage scoping. */
describe('GrantService', () => {
  let env: IntegrationEnv;
  let grants: GrantService;
  let deps: ApiDeps;
  const contentKey = new Uint8Array(32).fill(7);

  beforeAll(async () => {
    env = await startIntegrationEnv('grants');
    deps = apiTestDeps(env);
    grants = new GrantService(deps);
    await env.store.ensureBucket();
    await env.db.tenant.create({ data: { id: 't1', name: 't1', apiKeyHash: randomUUID() } });
  });
  afterAll(() => env?.close());

  /** A media in processing with one video task, its encrypted-source object in the store. */
  async function world(opts: { state?: 'processing' | 'deleted'; taskState?: 'queued' | 'running' | 'succeeded'; winner?: string; keyTtlSec?: number; contentKeyJwe?: string } = {}) {
    const mediaId = randomUUID();
    const sha = randomUUID().replace(/-/g, '').padEnd(64, '0');
    await env.store.putBuffer(`src/${mediaId}/${sha}`, Buffer.from('ciphertext of the source'));
    await env.db.media.create({
      data: {
        id: mediaId,
        tenantId: 't1',
        state: opts.state ?? 'processing',
        profiles: ['240p'],
        sourceKey: `src/${mediaId}/${sha}`,
        sourceSha256: sha,
        sourceSizeBytes: 24n,
        sizeClass: 'xs',
        contentKeyJwe: opts.contentKeyJwe ?? (await wrapKey(contentKey, deps.pipelineKey.publicJwk)),
        outputKeyJwe: await wrapKey(new Uint8Array(16).fill(9), deps.pipelineKey.publicJwk),
        outputKeyId: 'ab'.repeat(16),
      },
    });
    const policy = { ...DEFAULT_MEDIA_POLICY, worker_key_ttl_seconds: opts.keyTtlSec ?? DEFAULT_MEDIA_POLICY.worker_key_ttl_seconds };
    const job = await env.db.job.create({ data: { mediaId, state: 'transcoding', policy } });
    const task = await env.db.task.create({
      data: { jobId: job.id, kind: 'video', segmentIndex: 2, rendition: '240p', lane: 'short', state: opts.taskState ?? 'running', winningAttemptId: opts.winner ?? null },
    });
    return { mediaId, jobId: job.id, taskId: task.id, sourceKey: `src/${mediaId}/${sha}` };
  }

  const fleetKey = () => env.keys.workerPrivateJwk;
  const tokenFor = (ids: { mediaId: string; jobId: string; taskId: string }, attemptId = randomUUID(), ttl = 60, key = fleetKey()) =>
    signJobToken({ workerId: 'w1', attemptId, ...ids }, key, ttl);

  async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string }> {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ApiError);
    const err = e as ApiError;
    return { status: err.getStatus(), code: err.code };
  }

  /** How many grant refusals with this reason the api has counted (airlock_grant_refusals_total). */
  const refusalsCounted = async (reason: string) => (await grantRefusalsTotal.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  const lastRefusal = async (mediaId: string) =>
    (await env.db.event.findMany({ where: { mediaId, type: 'grant_refused' }, orderBy: { id: 'desc' }, take: 1 }))[0]?.reason;

  it('re-wraps the content key to the attempt alone and presigns exactly its input', async () => {
    const ids = await world();
    const eph = await generateX25519KeyPair();
    const grant = await grants.exchange(await tokenFor(ids), eph.publicJwk);
    expect(Buffer.from(await unwrapKey(grant.contentKeyJwe, eph.privateJwk))).toEqual(Buffer.from(contentKey));
    expect(Buffer.from(await unwrapKey(grant.outputKeyJwe, eph.privateJwk))).toEqual(Buffer.alloc(16, 9));
    await expect(unwrapKey(grant.contentKeyJwe, deps.pipelineKey.privateJwk)).rejects.toThrow();
    expect(await (await fetch(grant.source.url)).text()).toBe('ciphertext of the source');
    expect(await env.db.event.count({ where: { mediaId: ids.mediaId, type: 'grant_issued' } })).toBe(1);
  });

  it('refuses bad signatures, alg none, expiry, wrong audience and over-long tokens; records those the fleet signed', async () => {
    const ids = await world();
    const eph = (await generateX25519KeyPair()).publicJwk;
    const stranger = (await generateSigningKeyPair('fleet-local')).privateJwk;
    expect(await refusal(grants.exchange(await tokenFor(ids, randomUUID(), 60, stranger), eph))).toEqual({ status: 401, code: 'token_bad_signature' });
    expect(await lastRefusal(ids.mediaId)).toBeUndefined();

    const body = Buffer.from(JSON.stringify({ iss: 'w1', sub: randomUUID(), aud: JOB_TOKEN_AUDIENCE, jti: 'x', iat: 1, exp: 9e9, media: ids.mediaId, job: ids.jobId, task: ids.taskId })).toString('base64url');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
    expect(await refusal(grants.exchange(none, eph))).toEqual({ status: 401, code: 'token_bad_signature' });

    const key = await importJWK(fleetKey(), 'EdDSA');
    const now = Math.floor(Date.now() / 1000);
    const signed = (aud: string, iat: number, exp: number) =>
      new SignJWT({ media: ids.mediaId, job: ids.jobId, task: ids.taskId }).setProtectedHeader({ alg: 'EdDSA', kid: 'fleet-local' }).setIssuer('w1').setSubject(randomUUID()).setJti(randomUUID()).setAudience(aud).setIssuedAt(iat).setExpirationTime(exp).sign(key);
    expect(await refusal(grants.exchange(await signed(JOB_TOKEN_AUDIENCE, now - 100, now - 10), eph))).toEqual({ status: 401, code: 'token_expired' });
    expect(await lastRefusal(ids.mediaId)).toBe('token_expired');
    expect(await refusal(grants.exchange(await signed('not-airlock', now, now + 60), eph))).toEqual({ status: 403, code: 'token_wrong_audience' });
    expect(await refusal(grants.exchange(await signed(JOB_TOKEN_AUDIENCE, now, now + 86_400), eph))).toEqual({ status: 403, code: 'token_ttl_too_long' });
    expect(await lastRefusal(ids.mediaId)).toBe('token_ttl_too_long');
  });

  it("refuses a token that outlives the job's snapshotted worker_key_ttl_seconds", async () => {
    const ids = await world({ keyTtlSec: 60 });
    const eph = (await generateX25519KeyPair()).publicJwk;
    expect(await refusal(grants.exchange(await tokenFor(ids, randomUUID(), 120), eph))).toEqual({ status: 403, code: 'token_ttl_too_long' });
    expect(await lastRefusal(ids.mediaId)).toBe('token_ttl_too_long');
    await expect(grants.exchange(await tokenFor(ids, randomUUID(), 60), eph)).resolves.toMatchObject({ outputKeyId: 'ab'.repeat(16) });
  });

  it('refuses a replayed jti, another media task, a task a newer attempt finished, and a deleted media', async () => {
    const ids = await world();
    const eph = (await generateX25519KeyPair()).publicJwk;
    const token = await tokenFor(ids);
    await grants.exchange(token, eph);
    expect(await refusal(grants.exchange(token, eph))).toEqual({ status: 409, code: 'token_replayed' });

    const other = await world();
    expect(await refusal(grants.exchange(await tokenFor({ ...ids, taskId: other.taskId }), eph))).toEqual({ status: 403, code: 'task_not_in_media' });

    const done = await world({ taskState: 'succeeded', winner: randomUUID() });
    expect(await refusal(grants.exchange(await tokenFor(done), eph))).toEqual({ status: 409, code: 'task_already_done' });
    expect(await lastRefusal(done.mediaId)).toBe('task_already_done');

    const gone = await world({ state: 'deleted' });
    expect(await refusal(grants.exchange(await tokenFor(gone), eph))).toEqual({ status: 409, code: 'media_not_processing' });
  });

  it('presigns PUTs only for the task own content-hash keys, and storage refuses anything else', async () => {
    const ids = await world();
    const token = await tokenFor(ids);
    const grant = await grants.exchange(token, (await generateX25519KeyPair()).publicJwk);
    const sha = createHash('sha256').update('x').digest('hex');
    const { uploads } = await grants.uploads(grant.grantId, token, [
      { kind: 'init', rendition: '240p', segmentIndex: -1, sha256: sha, sizeBytes: 1 },
      { kind: 'media', rendition: '240p', segmentIndex: 2, sha256: sha, sizeBytes: 1 },
    ]);
    expect(uploads.map((u) => u.key)).toEqual([`seg/${ids.mediaId}/240p/init-${sha}.mp4`, `seg/${ids.mediaId}/240p/2-${sha}.m4s`]);
    expect((await fetch(uploads[1].url, { method: 'PUT', headers: uploads[1].headers, body: 'x' })).status).toBe(200);

    expect(await refusal(grants.uploads(grant.grantId, token, [{ kind: 'media', rendition: '240p', segmentIndex: 3, sha256: sha, sizeBytes: 1 }]))).toEqual({ status: 403, code: 'outside_grant' });
    expect(await refusal(grants.uploads(grant.grantId, token, [{ kind: 'media', rendition: '720p', segmentIndex: 2, sha256: sha, sizeBytes: 1 }]))).toEqual({ status: 403, code: 'outside_grant' });

    // The storage itself refuses a grant URL bent to another key or method: a signature covers both.
    const other = await world();
    const storageError = async (url: string, init?: RequestInit) => {
      const res = await fetch(url, init);
      return [res.status, (/<Code>(\w+)<\/Code>/.exec(await res.text()) ?? [])[1]];
    };
    const outside = `seg/${ids.mediaId}/720p/2-${sha}.m4s`;
    expect(await storageError(uploads[1].url.replace(uploads[1].key, outside), { method: 'PUT', headers: uploads[1].headers, body: 'x' })).toEqual([403, 'SignatureDoesNotMatch']);
    expect(await storageError(grant.source.url.replace(ids.sourceKey, other.sourceKey))).toEqual([403, 'SignatureDoesNotMatch']);
    expect(await storageError(grant.source.url, { method: 'PUT', body: 'overwrite' })).toEqual([403, 'SignatureDoesNotMatch']);
    expect(await storageError(env.store.publicUrl(other.sourceKey))).toEqual([403, 'AccessDenied']);
    expect(await env.store.stat(outside)).toBeUndefined();
    expect(await env.store.getBuffer(ids.sourceKey)).toEqual(Buffer.from('ciphertext of the source'));

    // Another attempt's token cannot use this grant; after release nothing more is handed out.
    expect(await refusal(grants.uploads(grant.grantId, await tokenFor(ids), [{ kind: 'init', rendition: '240p', segmentIndex: -1, sha256: sha, sizeBytes: 1 }]))).toEqual({ status: 403, code: 'grant_mismatch' });
    await grants.release(grant.grantId, token);
    expect(await refusal(grants.uploads(grant.grantId, token, [{ kind: 'init', rendition: '240p', segmentIndex: -1, sha256: sha, sizeBytes: 1 }]))).toEqual({ status: 403, code: 'grant_revoked' });
  });

  describe('upload URLs are write-once and bound to the declared bytes (issue 23 B)', () => {
    const INIT = Buffer.from('init ciphertext, whole AES blocks');
    const SEGMENT = Buffer.from('segment 2 ciphertext, whole blocks');
    const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const put = async (u: { url: string; headers: Record<string, string> }, body: Buffer, headers = u.headers) => {
      const res = await fetch(u.url, { method: 'PUT', headers: { ...headers, 'Content-Length': String(body.length) }, body: new Uint8Array(body) });
      return [res.status, (/<Code>(\w+)<\/Code>/.exec(await res.text()) ?? [])[1]];
    };
    const filesOf = (segmentIndex: number) => [
      { kind: 'init' as const, rendition: '240p', segmentIndex: -1, sha256: sha256(INIT), sizeBytes: INIT.length },
      { kind: 'media' as const, rendition: '240p', segmentIndex, sha256: sha256(SEGMENT), sizeBytes: SEGMENT.length },
    ];

    it('signs sha256, length and create-only into each URL and names the headers to send', async () => {
      const ids = await world();
      const token = await tokenFor(ids);
      const grant = await grants.exchange(token, (await generateX25519KeyPair()).publicJwk);
      const { uploads } = await grants.uploads(grant.grantId, token, filesOf(2));
      expect(uploads[1].headers).toEqual({ 'Content-Length': String(SEGMENT.length), 'If-None-Match': '*', 'x-amz-checksum-sha256': createHash('sha256').update(SEGMENT).digest('base64') });
      expect(new URL(uploads[1].url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host;if-none-match;x-amz-checksum-sha256');
    });

    it('refuses other bytes through a URL (BadDigest, or a broken signature when the checksum header is changed) and stores nothing', async () => {
      const ids = await world();
      const token = await tokenFor(ids);
      const grant = await grants.exchange(token, (await generateX25519KeyPair()).publicJwk);
      const [, segment] = (await grants.uploads(grant.grantId, token, filesOf(2))).uploads;
      const other = Buffer.from(SEGMENT);
      other[3] ^= 0xff;
      expect(await put(segment, other)).toEqual([400, 'BadDigest']);
      expect(await put(segment, other, { ...segment.headers, 'x-amz-checksum-sha256': createHash('sha256').update(other).digest('base64') })).toEqual([403, 'SignatureDoesNotMatch']);
      const { 'If-None-Match': _dropped, ...unconditional } = segment.headers;
      expect(await put(segment, other, unconditional)).toEqual([403, 'SignatureDoesNotMatch']);
      expect(await env.store.stat(segment.key)).toBeUndefined();
      // The declared bytes still go through the same URL.
      expect(await put(segment, SEGMENT)).toEqual([200, undefined]);
      expect(await env.store.getBuffer(segment.key)).toEqual(SEGMENT);
    });

    it('after the media is ready, a still-valid URL cannot write its object again, with the same bytes or others', async () => {
      const ids = await world();
      const token = await tokenFor(ids);
      const grant = await grants.exchange(token, (await generateX25519KeyPair()).publicJwk);
      const [init, segment] = (await grants.uploads(grant.grantId, token, filesOf(2))).uploads;
      expect(await put(init, INIT)).toEqual([200, undefined]);
      expect(await put(segment, SEGMENT)).toEqual([200, undefined]);
      await env.db.media.update({ where: { id: ids.mediaId }, data: { state: 'ready' } });
      for (const u of [init, segment]) {
        expect(await put(u, u === init ? INIT : SEGMENT)).toEqual([412, 'PreconditionFailed']);
        const other = Buffer.alloc((u === init ? INIT : SEGMENT).length, 1);
        expect(await put(u, other)).toEqual([412, 'PreconditionFailed']);
        const { 'If-None-Match': _dropped, ...unconditional } = u.headers;
        expect(await put(u, other, unconditional)).toEqual([403, 'SignatureDoesNotMatch']);
      }
      expect(await env.store.getBuffer(init.key)).toEqual(INIT);
      expect(await env.store.getBuffer(segment.key)).toEqual(SEGMENT);
    });

    it('a sealed chat file takes the same bound PUT: other bytes refused, written once, never rewritten', async () => {
      const ids = await world();
      const task = await env.db.task.create({ data: { jobId: ids.jobId, kind: 'file', segmentIndex: 0, rendition: 'poster', lane: 'short', state: 'running' } });
      const fileIds = { ...ids, taskId: task.id };
      const token = await tokenFor(fileIds);
      const grant = await grants.exchange(token, (await generateX25519KeyPair()).publicJwk);
      const SEALED = Buffer.from('sealed poster blob, AES-256-GCM chunks');
      const [file] = (await grants.uploads(grant.grantId, token, [{ kind: 'file', rendition: 'poster', segmentIndex: 0, sha256: sha256(SEALED), sizeBytes: SEALED.length }])).uploads;
      expect(file.key).toBe(`file/${ids.mediaId}/poster-${sha256(SEALED)}`);
      expect(await put(file, Buffer.alloc(SEALED.length, 2))).toEqual([400, 'BadDigest']);
      expect(await put(file, SEALED)).toEqual([200, undefined]);
      expect(await put(file, Buffer.alloc(SEALED.length, 2))).toEqual([412, 'PreconditionFailed']);
      expect(await env.store.getBuffer(file.key)).toEqual(SEALED);
    });

    it("two tasks of one rung write the shared init: the second finds it there (412), one object with the declared bytes", async () => {
      const first = await world();
      const firstToken = await tokenFor(first);
      const firstGrant = await grants.exchange(firstToken, (await generateX25519KeyPair()).publicJwk);
      const [init] = (await grants.uploads(firstGrant.grantId, firstToken, filesOf(2))).uploads;
      // A second task of the same media and rung (segment 3), with its own grant.
      const task = await env.db.task.create({ data: { jobId: first.jobId, kind: 'video', segmentIndex: 3, rendition: '240p', lane: 'short', state: 'running' } });
      const second = { ...first, taskId: task.id };
      const secondToken = await tokenFor(second);
      const secondGrant = await grants.exchange(secondToken, (await generateX25519KeyPair()).publicJwk);
      const [sameInit] = (await grants.uploads(secondGrant.grantId, secondToken, filesOf(3))).uploads;
      expect(sameInit.key).toBe(init.key);
      expect(await put(init, INIT)).toEqual([200, undefined]);
      expect(await put(sameInit, INIT)).toEqual([412, 'PreconditionFailed']);
      expect((await env.store.list(`seg/${first.mediaId}/240p/init-`)).map((o) => o.key)).toEqual([init.key]);
      expect(await env.store.getBuffer(init.key)).toEqual(INIT);
    });
  });

  it('hands out no upload URL once the grant has expired mid-task', async () => {
    const ids = await world();
    const token = await tokenFor(ids, randomUUID(), 1);
    const grant = await grants.exchange(token, (await generateX25519KeyPair()).publicJwk);
    await new Promise((r) => setTimeout(r, 1100));
    const refused = await refusal(grants.uploads(grant.grantId, token, [{ kind: 'init', rendition: '240p', segmentIndex: -1, sha256: 'c'.repeat(64), sizeBytes: 1 }]));
    expect([refused.status, refused.code]).toEqual([401, expect.stringMatching(/^(token_expired|grant_expired)$/)]);
  });

  it('keeps keys out of the rows it writes', async () => {
    const ids = await world();
    await grants.exchange(await tokenFor(ids), (await generateX25519KeyPair()).publicJwk);
    const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
    const rows = json(await env.db.grant.findMany({ where: { mediaId: ids.mediaId } })) + json(await env.db.event.findMany({ where: { mediaId: ids.mediaId } }));
    expect(rows).not.toContain(Buffer.from(contentKey).toString('base64url'));
    expect(rows).not.toContain(Buffer.from(contentKey).toString('hex'));
  });

  it('refuses a quarantined worker until an operator clears it', async () => {
    const ids = await world();
    await env.db.workerQuarantine.create({ data: { workerId: 'w1', reason: 'hash_mismatch' } });
    try {
      expect(await refusal(grants.exchange(await tokenFor(ids), (await generateX25519KeyPair()).publicJwk))).toEqual({ status: 403, code: 'worker_quarantined' });
      expect(await lastRefusal(ids.mediaId)).toBe('worker_quarantined');
      await env.db.workerQuarantine.update({ where: { workerId: 'w1' }, data: { clearedAt: new Date() } });
      await expect(grants.exchange(await tokenFor(ids), (await generateX25519KeyPair()).publicJwk)).resolves.toEqual(expect.objectContaining({ grantId: expect.any(String) }));
    } finally {
      await env.db.workerQuarantine.deleteMany({ where: { workerId: 'w1' } });
    }
  });

  it("gives a duplicate's twin only to another worker, and a refused task to a worker that has not voted on it", async () => {
    const ids = await world();
    const twin = await env.db.task.create({ data: { jobId: ids.jobId, kind: 'video', segmentIndex: 2, rendition: '240p', role: 'duplicate', lane: 'short' } });
    await grants.exchange(await tokenFor(ids), (await generateX25519KeyPair()).publicJwk);
    const twinIds = { ...ids, taskId: twin.id };
    expect(await refusal(grants.exchange(await tokenFor(twinIds), (await generateX25519KeyPair()).publicJwk))).toEqual({ status: 409, code: 'needs_other_worker' });
    const other = await signJobToken({ workerId: 'w2', attemptId: randomUUID(), ...twinIds }, fleetKey(), 60);
    const granted = await grants.exchange(other, (await generateX25519KeyPair()).publicJwk);
    expect(granted.grantId).toEqual(expect.any(String));
    // w2's output for the twin was refused: a third worker must redo it.
    await env.db.attempt.updateMany({ where: { taskId: twin.id, workerId: 'w2' }, data: { state: 'rejected' } });
    const again = await signJobToken({ workerId: 'w2', attemptId: randomUUID(), ...twinIds }, fleetKey(), 60);
    expect(await refusal(grants.exchange(again, (await generateX25519KeyPair()).publicJwk))).toEqual({ status: 409, code: 'needs_other_worker' });
  });

  it('opens an attempt row at the exchange: number, lineage, worker, queue job and a first heartbeat', async () => {
    const ids = await world({ taskState: 'queued' });
    const first = randomUUID();
    const second = randomUUID();
    await grants.exchange(await tokenFor(ids, first), (await generateX25519KeyPair()).publicJwk, { queue: 'short', id: 'transcode__x' });
    // The first exchange starts the queued task; the second finds it running.
    expect((await env.db.task.findUniqueOrThrow({ where: { id: ids.taskId } })).state).toBe('running');
    await grants.exchange(await tokenFor(ids, second), (await generateX25519KeyPair()).publicJwk, { queue: 'short', id: 'transcode__x' });
    const rows = await env.db.attempt.findMany({ where: { taskId: ids.taskId }, orderBy: { number: 'asc' } });
    expect(rows.map((r) => ({ id: r.id, number: r.number, previous: r.previousAttemptId, worker: r.workerId, state: r.state, queueJobId: r.queueJobId }))).toEqual([
      { id: first, number: 1, previous: null, worker: 'w1', state: 'running', queueJobId: 'transcode__x' },
      { id: second, number: 2, previous: first, worker: 'w1', state: 'running', queueJobId: 'transcode__x' },
    ]);
    expect(rows[0].heartbeatAt).not.toBeNull();
    expect((await env.db.task.findUniqueOrThrow({ where: { id: ids.taskId } })).attemptCount).toBe(2);
  });

  it('numbers attempts of one task exchanged at the same moment one after the other, each after the one before', async () => {
    const ids = await world({ taskState: 'queued' });
    const attempts = [randomUUID(), randomUUID(), randomUUID()];
    await Promise.all(attempts.map(async (id) => grants.exchange(await tokenFor(ids, id), (await generateX25519KeyPair()).publicJwk)));
    const rows = await env.db.attempt.findMany({ where: { taskId: ids.taskId }, orderBy: { number: 'asc' } });
    expect(rows.map((r) => r.number)).toEqual([1, 2, 3]);
    expect(rows.map((r) => r.previousAttemptId)).toEqual([null, rows[0].id, rows[1].id]);
    expect((await env.db.task.findUniqueOrThrow({ where: { id: ids.taskId } })).attemptCount).toBe(3);
  });

  it('takes heartbeats while the attempt is wanted and tells it to stop once the media is deleted', async () => {
    const ids = await world();
    const attemptId = randomUUID();
    const token = await tokenFor(ids, attemptId);
    const grant = await grants.exchange(token, (await generateX25519KeyPair()).publicJwk);
    await env.db.attempt.update({ where: { id: attemptId }, data: { heartbeatAt: new Date(0) } });

    expect(await grants.heartbeat(grant.grantId, token)).toEqual({ live: true });
    expect((await env.db.attempt.findUniqueOrThrow({ where: { id: attemptId } })).heartbeatAt?.getTime()).toBeGreaterThan(Date.now() - 10_000);

    await env.db.media.update({ where: { id: ids.mediaId }, data: { state: 'deleted' } });
    expect(await grants.heartbeat(grant.grantId, token)).toEqual({ live: false, reason: 'media_not_processing' });
  });

  it('tells an attempt the watchdog judged stale to stop, and a forged token gets no heartbeat', async () => {
    const ids = await world();
    const attemptId = randomUUID();
    const token = await tokenFor(ids, attemptId);
    const grant = await grants.exchange(token, (await generateX25519KeyPair()).publicJwk);
    await env.db.attempt.update({ where: { id: attemptId }, data: { state: 'stale' } });
    expect(await grants.heartbeat(grant.grantId, token)).toEqual({ live: false, reason: 'attempt_not_running' });
    // Another attempt's valid token does not hold this grant.
    expect(await grants.heartbeat(grant.grantId, await tokenFor(ids))).toEqual({ live: false, reason: 'grant_mismatch' });
  });

  it('closes a failed attempt with its reason at release; a successful one waits for the record step', async () => {
    const ids = await world();
    const [ok, bad] = [randomUUID(), randomUUID()];
    const okToken = await tokenFor(ids, ok);
    const badToken = await tokenFor(ids, bad);
    const okGrant = await grants.exchange(okToken, (await generateX25519KeyPair()).publicJwk);
    const badGrant = await grants.exchange(badToken, (await generateX25519KeyPair()).publicJwk);
    await grants.release(okGrant.grantId, okToken, { ok: true });
    await grants.release(badGrant.grantId, badToken, { ok: false, code: 'ffmpeg_exit' });
    expect(await env.db.attempt.findUniqueOrThrow({ where: { id: ok } })).toMatchObject({ state: 'running', finishedAt: expect.any(Date) });
    expect(await env.db.attempt.findUniqueOrThrow({ where: { id: bad } })).toMatchObject({ state: 'failed', errorCode: 'ffmpeg_exit' });
    expect((await env.db.grant.findMany({ where: { attemptId: { in: [ok, bad] } } })).every((g) => g.revokedAt !== null)).toBe(true);
  });

  describe('token and grant edges (issue 21)', () => {
    const signedBy = async (key: Parameters<typeof importJWK>[0], ids: { mediaId: string; jobId: string; taskId: string }, iat: number, exp: number) =>
      new SignJWT({ media: ids.mediaId, job: ids.jobId, task: ids.taskId })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'fleet-local' })
        .setIssuer('w1')
        .setSubject(randomUUID())
        .setJti(randomUUID())
        .setAudience(JOB_TOKEN_AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(await importJWK(key, 'EdDSA'));

    it('refuses a token issued ten years ahead with exp = iat + 600, and gives no grant', async () => {
      const ids = await world();
      const later = Math.floor(Date.now() / 1000) + 10 * 365 * 86_400;
      const token = await signedBy(fleetKey(), ids, later, later + 600);
      expect(await refusal(grants.exchange(token, (await generateX25519KeyPair()).publicJwk))).toEqual({ status: 401, code: 'token_issued_in_future' });
      // The fleet signed it, so the refusal is the named media's.
      expect(await lastRefusal(ids.mediaId)).toBe('token_issued_in_future');
      expect(await env.db.grant.count({ where: { mediaId: ids.mediaId } })).toBe(0);
      expect(await env.db.attempt.count({ where: { taskId: ids.taskId } })).toBe(0);
    });

    it("bounds the grant's lifetime from now: a token a little ahead (within the skew) gets no more than the policy's TTL", async () => {
      const ids = await world({ keyTtlSec: 60 });
      const now = Math.floor(Date.now() / 1000);
      // 25 s ahead, living 60 s: accepted (a worker's clock may run a little fast), but the grant ends 60 s from now, not 85.
      const grant = await grants.exchange(await signedBy(fleetKey(), ids, now + 25, now + 85), (await generateX25519KeyPair()).publicJwk);
      const row = await env.db.grant.findUniqueOrThrow({ where: { id: grant.grantId } });
      expect(row.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
      expect(row.expiresAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
      expect(new Date(grant.expiresAt).getTime()).toBe(row.expiresAt.getTime());
      // Beyond the skew it is refused, whatever exp - iat says.
      expect(await refusal(grants.exchange(await signedBy(fleetKey(), ids, now + 45, now + 105), (await generateX25519KeyPair()).publicJwk))).toEqual({ status: 401, code: 'token_issued_in_future' });
    });

    it('writes nothing for a forged token naming a real media, and counts it in airlock_grant_refusals_total', async () => {
      const ids = await world();
      const eph = (await generateX25519KeyPair()).publicJwk;
      const stranger = (await generateSigningKeyPair('fleet-local')).privateJwk;
      const eventsBefore = await env.db.event.count({ where: { mediaId: ids.mediaId } });
      const badSignature = await refusalsCounted('token_bad_signature');
      const now = Math.floor(Date.now() / 1000);
      expect(await refusal(grants.exchange(await signedBy(stranger, ids, now, now + 60), eph))).toEqual({ status: 401, code: 'token_bad_signature' });
      const body = Buffer.from(JSON.stringify({ iss: 'w1', sub: randomUUID(), aud: JOB_TOKEN_AUDIENCE, jti: randomUUID(), iat: now, exp: now + 60, media: ids.mediaId, job: ids.jobId, task: ids.taskId })).toString('base64url');
      expect(await refusal(grants.exchange(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`, eph))).toEqual({ status: 401, code: 'token_bad_signature' });
      // A real token's claims under a signature that does not match them.
      const real = (await tokenFor(ids)).split('.');
      expect(await refusal(grants.exchange(`${real[0]}.${body}.${real[2]}`, eph))).toEqual({ status: 401, code: 'token_bad_signature' });
      expect(await env.db.event.count({ where: { mediaId: ids.mediaId } })).toBe(eventsBefore);
      expect(await refusalsCounted('token_bad_signature')).toBe(badSignature + 3);
    });

    it('refuses a content key the pipeline key cannot open before committing anything; the retry of the same token then works', async () => {
      const garbage = await wrapKey(contentKey, (await generateX25519KeyPair()).publicJwk);
      const ids = await world({ taskState: 'queued', contentKeyJwe: garbage });
      const attemptId = randomUUID();
      const token = await tokenFor(ids, attemptId);
      const eph = await generateX25519KeyPair();
      expect(await refusal(grants.exchange(token, eph.publicJwk))).toEqual({ status: 409, code: 'content_key_unavailable' });
      expect(await lastRefusal(ids.mediaId)).toBe('content_key_unavailable');
      // No half-state: no grant, no running attempt, the task not started or counted, the jti unspent.
      expect(await env.db.grant.count({ where: { mediaId: ids.mediaId } })).toBe(0);
      expect(await env.db.attempt.count({ where: { taskId: ids.taskId } })).toBe(0);
      expect(await env.db.task.findUniqueOrThrow({ where: { id: ids.taskId } })).toMatchObject({ state: 'queued', attemptCount: 0 });
      // The worker's retry of the same request is judged afresh, not as a replay.
      expect(await refusal(grants.exchange(token, eph.publicJwk))).toEqual({ status: 409, code: 'content_key_unavailable' });
      await env.db.media.update({ where: { id: ids.mediaId }, data: { contentKeyJwe: await wrapKey(contentKey, deps.pipelineKey.publicJwk) } });
      const grant = await grants.exchange(token, eph.publicJwk);
      expect(Buffer.from(await unwrapKey(grant.contentKeyJwe, eph.privateJwk))).toEqual(Buffer.from(contentKey));
      expect(await env.db.attempt.findMany({ where: { taskId: ids.taskId }, select: { id: true, state: true } })).toEqual([{ id: attemptId, state: 'running' }]);
    });
  });
});


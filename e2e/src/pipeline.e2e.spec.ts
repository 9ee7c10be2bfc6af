import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AirlockApiError, AirlockClient, openSealedFile } from '@airlock/client-sdk';
import { sealFile, uploadFile } from '@airlock/client-sdk/node';
import { generateContentKey, generateX25519KeyPair, KeyPairJwk, unwrapKey, wrapKey } from '@airlock/crypto';
import { MediaView } from '@airlock/contracts';
import {
  IntegrationEnv,
  makeClip,
  parseMpd,
  playEachRung,
  ServiceStack,
  startIntegrationEnv,
  startServiceStack,
  textFile,
  truncateCopy,
} from '@airlock/testing';

/**
 * The foundation's end-to-end run: five services as separate processes on real Postgres,
 * Redis, s3rver and ffmpeg; media in through the REST API; HLS out through hls.js in Chromium.
 */
describe('one media through all five services', () => {
  let env: IntegrationEnv;
  let stack: ServiceStack;
  let client: AirlockClient;
  let otherTenant: AirlockClient;
  let clip: string;
  let recipient: KeyPairJwk;
  let sent = 0;
  let firstId = '';

  beforeAll(async () => {
    env = await startIntegrationEnv('e2e-pipeline');
    // tenant-b runs under a tight policy; tenant-a under the defaults.
    const policies = join(env.tmp, 'tenant-policies.json');
    writeFileSync(
      policies,
      JSON.stringify({ tenants: { 'tenant-b': { allowed_profiles: ['240p', '360p'], max_size_bytes: 50_000_000, max_duration_sec: 5, quotas: { max_active_media_per_tenant: 10, max_active_media_per_room: 1 } } } }),
    );
    stack = await startServiceStack(env, { TENANT_KEYS: 'tenant-a:key-a,tenant-b:key-b', TENANT_POLICIES_FILE: policies });
    client = new AirlockClient({ baseUrl: stack.apiUrl, apiKey: 'key-a' });
    otherTenant = new AirlockClient({ baseUrl: stack.apiUrl, apiKey: 'key-b' });
    recipient = await generateX25519KeyPair('alice');
    clip = await makeClip(env.tmp, 'clip-1080p.mp4', { width: 1920, height: 1080, seconds: 12, audio: true });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.close();
  });

  /** The sender: encrypt to the pipeline key, create for one recipient, upload ciphertext only. */
  async function seal(file: string) {
    return sealFile(file, join(env.tmp, `sealed-${sent++}`), await client.pipelineKey());
  }

  async function send(file: string, idempotencyKey?: string): Promise<string> {
    const source = await seal(file);
    const sealedPath = join(env.tmp, `sealed-${sent - 1}`);
    const created = await client.createMedia({ recipients: [{ id: 'alice', publicJwk: recipient.publicJwk as never }], source }, idempotencyKey);
    await uploadFile(created.upload, sealedPath);
    await client.uploadComplete(created.id);
    return created.id;
  }

  const settle = (id: string) => client.waitFor(id, { timeoutMs: 300_000, intervalMs: 250 });

  it('transcodes a 1080p clip with audio to ready, and the SDK player plays every rung to the end', async () => {
    const started = Date.now();
    const id = await send(clip);
    const uploadCompleteAt = Date.now();
    const seen = new Set<string>();
    const media: MediaView = await client.waitFor(id, { timeoutMs: 300_000, intervalMs: 250, onUpdate: (m) => seen.add(m.state) });
    const readyMs = Date.now() - uploadCompleteAt;
    process.stdout.write(`e2e: upload-complete -> ready in ${(readyMs / 1000).toFixed(1)} s (whole run ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);

    expect(media.state).toBe('ready');
    expect(media.renditions.map((r) => r.name)).toEqual(['240p', '360p', '720p', '1080p', 'audio']);
    expect(media.renditions.every((r) => r.ready)).toBe(true);
    expect(media.progress.done).toBe(media.progress.total);
    expect(media.probe).toMatchObject({ width: 1920, height: 1080, hasAudio: true });
    expect([...seen].every((s) => ['uploaded', 'queued', 'processing', 'preview_ready', 'verifying', 'ready'].includes(s))).toBe(true);
    const manifests = media.manifests ?? { hls: '', dash: '' };

    const upstream = `${env.s3Endpoint}/${env.bucket}`;
    const jwe = media.keys.find((k) => k.recipientId === 'alice')?.jwe ?? '';
    const mpd = parseMpd(await (await fetch(manifests.dash)).text());
    expect(mpd.durationSec).toBeGreaterThan(11.5);
    expect(mpd.representations.map((r) => r.id)).toEqual(['240p', '360p', '720p', '1080p', 'audio']);
    expect(mpd.representations.every((r) => r.segments >= 2)).toBe(true);
    // The page is the recipient: the SDK player gets the media view and alice's private JWK and unwraps the key in the browser.
    // HLS: every rung pinned in turn and played through (every segment of it and of audio, its frame size, no stall).
    const asAlice = { recipientId: 'alice', privateJwk: recipient.privateJwk };
    const hlsRungs = await playEachRung({ upstreamBaseUrl: upstream, media, key: asAlice, format: 'hls' });
    expect(hlsRungs.map((v) => [v.rendition, v.problems])).toEqual(['240p', '360p', '720p', '1080p'].map((r) => [r, []]));
    expect(hlsRungs[0].result.duration).toBeGreaterThan(11.5);
    expect(hlsRungs[0].result.duration).toBeLessThan(12.5);
    // DASH: the top rung, through the SDK's response-filter decryption.
    const dashTop = await playEachRung({ upstreamBaseUrl: upstream, media, key: asAlice, format: 'dash', rungs: ['1080p'] });
    expect(dashTop.map((v) => [v.rendition, v.problems])).toEqual([['1080p', []]]);

    const timeline = await (await fetch(`${stack.apiUrl}/v1/media/${id}/timeline`, { headers: { Authorization: 'Bearer key-a' } })).json();
    const transitions = (timeline.events as { to: string | null }[]).map((e) => e.to).filter(Boolean);
    // Support sees every attempt (worker, path, outcome) and the verifier's record, never content.
    const succeeded = (timeline.attempts as { task: string; state: string; encoderPath: string | null }[]).filter((a) => a.state === 'succeeded');
    // The probe's winner is recorded like every task's (one succeeded attempt); it encodes nothing, so only the others name a path.
    expect(succeeded.filter((a) => a.task.startsWith('probe '))).toHaveLength(1);
    expect(succeeded.filter((a) => !a.task.startsWith('probe ')).every((a) => a.encoderPath)).toBe(true);
    expect(timeline.verification.outputsPassed).toBeGreaterThan(0);
    expect(timeline.verification.refusals).toEqual([]);
    // The preview sub-flow published while the ladder was still running.
    expect(transitions).toEqual(['created', 'uploaded', 'queued', 'processing', 'preview_ready', 'verifying', 'ready']);
    // The chat backend's webhooks say the same, in order (delivered once it sets an endpoint: see the chaos suite).
    const hooks = (await (await fetch(`${stack.apiUrl}/v1/media/${id}/webhooks`, { headers: { Authorization: 'Bearer key-a' } })).json()) as { events: { seq: number; type: string }[] };
    expect(hooks.events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'preparing'],
      [2, 'preview_available'],
      [3, 'ready'],
    ]);

    // The preview: muted 360p of the first seconds, playable by the recipient like the rest.
    expect(media.preview?.hls).toMatch(/-preview\/master\.m3u8$/);
    const preview = await playEachRung({ upstreamBaseUrl: upstream, media: { ...media, manifests: media.preview }, key: asAlice, format: 'hls' });
    expect(preview.map((v) => [v.rendition, v.problems])).toEqual([['preview_360p', []]]);

    // The early stage: the lowest rung and audio, whole length, published before the ladder was ready.
    expect(media.early?.renditions).toEqual(['240p', 'audio']);
    expect(media.early?.hls).toMatch(/-early\/master\.m3u8$/);
    // Published while the higher rungs were still encoding: before the last task was counted (verifying).
    const types = (timeline.events as { type: string; to: string | null }[]).map((e) => (e.to === 'verifying' ? 'verifying' : e.type));
    expect(types.indexOf('early_published')).toBeGreaterThan(-1);
    expect(types.indexOf('early_published')).toBeLessThan(types.indexOf('verifying'));
    const early = await playEachRung({ upstreamBaseUrl: upstream, media: { ...media, manifests: media.early }, key: asAlice, format: 'hls' });
    expect(early.map((v) => [v.rendition, v.problems])).toEqual([['240p', []]]);
    expect(early[0].result.duration).toBeGreaterThan(11.5);

    // The chat files: sealed blobs the recipient opens with the output key it unwrapped.
    const outputKey = await unwrapKey(jwe, recipient.privateJwk);
    expect(media.files?.map((f) => [f.name, f.contentType])).toEqual([
      ['animated_preview', 'image/webp'],
      ['mobile_mp4_720p', 'video/mp4'],
      ['poster', 'image/jpeg'],
    ]);
    const opened = new Map<string, Buffer>();
    for (const f of media.files ?? []) {
      const sealed = Buffer.from(await (await fetch(f.url)).arrayBuffer());
      expect(sealed.includes(Buffer.from('ftyp'))).toBe(false);
      opened.set(f.name, Buffer.from(await openSealedFile(sealed, outputKey)));
    }
    const probeFile = async (name: string) => {
      const path = join(env.tmp, `${id}-${name}`);
      writeFileSync(path, opened.get(name) ?? Buffer.alloc(0));
      const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path]);
      return (JSON.parse(stdout) as { streams: { codec_name: string; width?: number; height?: number }[] }).streams.map((s) => [s.codec_name, s.width, s.height]);
    };
    expect(await probeFile('poster')).toEqual([['mjpeg', 854, 480]]);
    expect(await probeFile('mobile_mp4_720p')).toEqual([
      ['h264', 1280, 720],
      ['aac', undefined, undefined],
    ]);
    const mp4 = opened.get('mobile_mp4_720p') ?? Buffer.alloc(0);
    expect(mp4.indexOf('moov')).toBeLessThan(mp4.indexOf('mdat'));
    const webp = opened.get('animated_preview') ?? Buffer.alloc(0);
    expect([webp.subarray(8, 12).toString(), webp.includes(Buffer.from('ANIM'))]).toEqual(['WEBP', true]);
    firstId = id;
  });

  it('traces that media as one tree: the upload-complete request, every flow job and FFmpeg run, the grant calls, publish', () => {
    const spans = stack.spans();
    const start = spans.find((s) => s.attributes['bullmq.job.id'] === `start__${firstId}`);
    const trace = spans.filter((s) => s.traceId === start?.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));

    const roots = trace.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => `${s.service} ${s.name}`)).toEqual(['api POST /v1/media/:id/upload-complete']);
    expect(trace.filter((s) => s.parentSpanId && !byId.has(s.parentSpanId))).toEqual([]);
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set(['api', 'orchestrator', 'gpu-worker', 'verifier', 'manifester']));

    const jobs = trace.filter((s) => s.kind === 'CONSUMER').map((s) => String(s.attributes['bullmq.job.name']));
    for (const name of ['media.start', 'media.probe', 'media.plan', 'segment.transcode', 'segment.transcode-group', 'audio.transcode', 'task.record', 'tasks.record', 'outputs.verify', 'manifest.write', 'media.preview', 'media.early', 'media.publish']) {
      expect(jobs).toContain(name);
    }
    const lastJob = trace.filter((s) => s.kind === 'CONSUMER').sort((a, b) => a.startMs + a.durationMs - (b.startMs + b.durationMs)).pop();
    expect(lastJob?.attributes['bullmq.job.name']).toBe('media.publish');

    // Every FFmpeg run: a span with its profile (a segment group's rungs joined by +) and duration class, under its task's job.
    const encodes = trace.filter((s) => s.name === 'ffmpeg.encode');
    expect(encodes.length).toBe(jobs.filter((j) => j === 'segment.transcode' || j === 'segment.transcode-group' || j === 'audio.transcode').length);
    const groupTasks = encodes.map((e) => String(e.attributes['airlock.profile']).split('+')).filter((p) => p.length > 1);
    expect(groupTasks.map((p) => p.join('+'))).toEqual(['360p+720p+1080p', '360p+720p+1080p']);
    for (const e of encodes) {
      for (const profile of String(e.attributes['airlock.profile']).split('+')) expect(['preview_360p', '240p', '360p', '720p', '1080p', 'audio']).toContain(profile);
      expect(e.attributes['airlock.duration_class']).toMatch(/^(xs|s|m|l|xl)$/);
      expect(byId.get(e.parentSpanId ?? '')?.kind).toBe('CONSUMER');
    }
    // The workers' grant exchanges join the attempt's trace: one per task, a group's tasks included.
    const singles = jobs.filter((j) => j.endsWith('.transcode') || j === 'media.probe').length;
    expect(trace.filter((s) => s.name === 'POST /v1/grants').length).toBe(singles + groupTasks.flat().length);
  });

  it('hides a media from another tenant and answers a repeated upload-complete without a second job', async () => {
    const id = await send(clip, 'same-message-1');
    // Another tenant cannot read, list, explain, start or delete it: to them it does not exist.
    await expect(otherTenant.getMedia(id)).rejects.toMatchObject({ status: 404 });
    await expect(otherTenant.timeline(id)).rejects.toMatchObject({ status: 404 });
    await expect(otherTenant.uploadComplete(id)).rejects.toMatchObject({ status: 404 });
    await expect(otherTenant.deleteMedia(id)).rejects.toMatchObject({ status: 404 });
    expect((await otherTenant.listMedia()).items.map((m) => m.id)).not.toContain(id);
    expect((await client.listMedia({ limit: 200 })).items.map((m) => m.id)).toContain(id);
    const again = await client.uploadComplete(id);
    expect(again.id).toBe(id);
    const duplicate = await client.createMedia({ recipients: [{ id: 'alice', publicJwk: recipient.publicJwk as never }], source: await seal(clip) }, 'same-message-1');
    expect(duplicate.id).toBe(id);
    expect((await settle(id)).state).toBe('ready');
    expect(await env.db.job.count({ where: { mediaId: id } })).toBe(1);
  });

  it('fails a text file named .mp4 with a readable terminal reason', async () => {
    const id = await send(textFile(join(env.tmp, 'notes.mp4')));
    const media = await settle(id);
    expect(media.state).toBe('failed_terminal');
    expect(media.failure?.code).toBe('not_media');
    expect(media.failure?.message).toMatch(/not a video/i);
    expect(media.recipientStatus).toBe('Playback unsupported on this device');
  });

  it('fails a truncated upload with a readable terminal reason', async () => {
    const id = await send(truncateCopy(clip, join(env.tmp, 'cut.mp4'), 0.4));
    const media = await settle(id);
    expect(media.state).toBe('failed_terminal');
    expect(['truncated_media', 'not_media']).toContain(media.failure?.code);
    expect(media.failure?.message.length).toBeGreaterThan(10);
  });

  it('fails a source whose sealed header declares 1 GiB chunks as source_chunk_size_invalid, terminal at the probe', async () => {
    // Hand-made, as a hostile sender would: a well-formed header declaring 1 GiB chunks, then 64 KiB.
    const header = Buffer.alloc(17);
    header.write('ALK1', 0, 'latin1');
    header[4] = 1;
    header.writeUInt32BE(1024 ** 3, 5);
    const sealed = Buffer.concat([header, randomBytes(64 * 1024)]);
    const path = join(env.tmp, 'huge-chunks.sealed');
    writeFileSync(path, sealed);
    const key = await generateContentKey();
    const contentKeyJwe = await wrapKey(key, await client.pipelineKey());
    key.fill(0);
    const source = { sizeBytes: sealed.length, sha256: createHash('sha256').update(sealed).digest('hex'), contentKeyJwe };
    const created = await client.createMedia({ recipients: [{ id: 'alice', publicJwk: recipient.publicJwk as never }], source });
    await uploadFile(created.upload, path);
    await client.uploadComplete(created.id);
    const media = await settle(created.id);
    expect(media.state).toBe('failed_terminal');
    expect(media.failure?.code).toBe('source_chunk_size_invalid');
    expect(media.failure?.message).toMatch(/chunk size/);
  });

  it('refuses an upload-complete before the bytes arrived, and leaves the media untouched', async () => {
    const created = await client.createMedia({ recipients: [{ id: 'alice', publicJwk: recipient.publicJwk as never }], source: { ...(await seal(clip)), sizeBytes: 1000 } });
    await expect(client.uploadComplete(created.id)).rejects.toBeInstanceOf(AirlockApiError);
    await expect(client.uploadComplete(created.id)).rejects.toMatchObject({ status: 409, code: 'upload_missing' });
    expect((await client.getMedia(created.id)).state).toBe('created');
  });

  it('deletes a ready media: state deleted for good, every object purged', async () => {
    const id = await send(clip);
    expect((await settle(id)).state).toBe('ready');
    expect((await env.store.list(`seg/${id}/`)).length).toBeGreaterThan(0);
    expect(await client.deleteMedia(id)).toEqual({ id, state: 'deleted' });
    const media = await client.getMedia(id);
    expect(media.state).toBe('deleted');
    expect(media.manifests).toBeUndefined();
    expect(media.recipientStatus).toBe('Sender removed this media');
    for (const prefix of ['src', 'work', 'seg', 'man']) expect(await env.store.list(`${prefix}/${id}/`)).toEqual([]);
  });

  it('serves the OpenAPI document, health on every service, and Bull Board only to admins', async () => {
    const doc = await (await fetch(`${stack.apiUrl}/docs/openapi.json`)).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/media', '/v1/media/{id}', '/v1/media/{id}/upload-complete']));
    for (const s of stack.services.values()) expect((await fetch(`http://127.0.0.1:${s.port}/health`)).status).toBe(200);
    expect((await fetch(`${stack.apiUrl}/admin/queues`)).status).toBe(401);
    const admin = { Authorization: `Basic ${Buffer.from('admin:airlock-admin').toString('base64')}` };
    expect((await fetch(`${stack.apiUrl}/admin/queues`, { headers: admin })).status).toBe(200);
    expect((await fetch(`${stack.apiUrl}/v1/media`, { method: 'POST' })).status).toBe(401);
    const jwks = await (await fetch(`${stack.apiUrl}/v1/keys`)).json();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'X25519', alg: 'ECDH-ES+A256KW' });
    expect(jwks.keys[0].d).toBeUndefined();
    const tooBig = await fetch(`${stack.apiUrl}/v1/media`, {
      method: 'POST',
      headers: { Authorization: 'Bearer key-a', 'Content-Type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(100_000) }),
    });
    expect(tooBig.status).toBe(413);
    const invalid = await fetch(`${stack.apiUrl}/v1/media`, {
      method: 'POST',
      headers: { Authorization: 'Bearer key-a', 'Content-Type': 'application/json' },
      body: JSON.stringify({ source: { sizeBytes: -1, sha256: 'nope' } }),
    });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error.code).toBe('invalid_request');
  });

  it('applies the tenant policy before any compute: 422, 413, 429, and too_long right after the probe', async () => {
    const bob = { recipients: [{ id: 'alice', publicJwk: recipient.publicJwk as never }] };
    const source = await seal(clip);
    await expect(otherTenant.createMedia({ ...bob, profiles: ['720p'], source })).rejects.toMatchObject({ status: 422, code: 'profile_not_allowed' });
    await expect(otherTenant.createMedia({ ...bob, source: { ...source, sizeBytes: 60_000_000 } })).rejects.toMatchObject({ status: 413, code: 'media_too_large' });
    await otherTenant.createMedia({ ...bob, roomId: 'room-1', source });
    await expect(otherTenant.createMedia({ ...bob, roomId: 'room-1', source })).rejects.toMatchObject({ status: 429, code: 'quota_exceeded' });

    const created = await otherTenant.createMedia({ ...bob, source });
    await uploadFile(created.upload, join(env.tmp, `sealed-${sent - 1}`));
    await otherTenant.uploadComplete(created.id);
    const media = await otherTenant.waitFor(created.id, { timeoutMs: 120_000, intervalMs: 250 });
    expect(media.state).toBe('failed_terminal');
    expect(media.failure?.code).toBe('too_long');
    const job = await env.db.job.findFirstOrThrow({ where: { mediaId: created.id }, include: { tasks: true } });
    expect(job.tasks.map((t) => t.kind)).toEqual(['probe']);
    expect(job.policy).toMatchObject({ max_duration_sec: 5, allowed_profiles: ['240p', '360p'] });
  });

  it('deletes the source once the media is ready (source_delete_after_success)', async () => {
    const ready = await env.db.media.findFirstOrThrow({ where: { state: 'ready' } });
    expect(await env.store.stat(ready.sourceKey)).toBeUndefined();
    expect(await env.db.event.count({ where: { mediaId: ready.id, type: 'source_deleted' } })).toBe(1);
  });

  it('leaves nothing in the worker temp root (the live worker keeps only its own empty directory)', () => {
    expect(stack.workerTempLeftovers()).toEqual([]);
  });
});

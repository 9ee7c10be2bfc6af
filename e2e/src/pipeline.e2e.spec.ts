import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AirlockApiError, AirlockClient, clearKeysFor } from '@airlock/client-sdk';
import { sealFile, uploadFile } from '@airlock/client-sdk/node';
import { generateX25519KeyPair, KeyPairJwk } from '@airlock/crypto';
import { MediaView } from '@airlock/contracts';
import {
  IntegrationEnv,
  makeClip,
  parseMpd,
  playDash,
  playHls,
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

  beforeAll(async () => {
    env = await startIntegrationEnv('e2e-pipeline');
    stack = await startServiceStack(env, { TENANT_KEYS: 'tenant-a:key-a,tenant-b:key-b' });
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
    await uploadFile(client, created.upload, sealedPath);
    await client.uploadComplete(created.id);
    return created.id;
  }

  const settle = (id: string) => client.waitFor(id, { timeoutMs: 300_000, intervalMs: 250 });

  it('transcodes a 1080p clip with audio to ready, and hls.js plays it to the end', async () => {
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
    expect([...seen].every((s) => ['uploaded', 'queued', 'processing', 'verifying', 'ready'].includes(s))).toBe(true);
    const manifests = media.manifests ?? { hls: '', dash: '' };

    const upstream = `${env.s3Endpoint}/${env.bucket}`;
    const hlsPath = manifests.hls.slice(upstream.length + 1);
    const clearKeys = await clearKeysFor(media, 'alice', recipient.privateJwk);
    const hls = await playHls({ upstreamBaseUrl: upstream, manifestUrlPath: hlsPath, timeoutMs: 90_000, clearKeys });
    expect(hls.fatalErrors).toEqual([]);
    expect(hls.currentTimeAdvanced).toBe(true);
    expect(hls.reachedEnd).toBe(true);
    expect(hls.duration).toBeGreaterThan(11.5);
    expect(hls.duration).toBeLessThan(12.5);
    expect(hls.variants).toBe(4);

    const mpd = parseMpd(await (await fetch(manifests.dash)).text());
    expect(mpd.durationSec).toBeGreaterThan(11.5);
    expect(mpd.representations.map((r) => r.id)).toEqual(['240p', '360p', '720p', '1080p', 'audio']);
    expect(mpd.representations.every((r) => r.segments >= 2)).toBe(true);
    const dash = await playDash({ upstreamBaseUrl: upstream, manifestUrlPath: manifests.dash.slice(upstream.length + 1), timeoutMs: 90_000, clearKeys });
    expect(dash.fatalErrors).toEqual([]);
    expect(dash.reachedEnd).toBe(true);

    const timeline = await (await fetch(`${stack.apiUrl}/v1/media/${id}/timeline`, { headers: { Authorization: 'Bearer key-a' } })).json();
    const transitions = (timeline.events as { to: string | null }[]).map((e) => e.to).filter(Boolean);
    expect(transitions).toEqual(['created', 'uploaded', 'queued', 'processing', 'verifying', 'ready']);
  });

  it('hides a media from another tenant and answers a repeated upload-complete without a second job', async () => {
    const id = await send(clip, 'same-message-1');
    await expect(otherTenant.getMedia(id)).rejects.toMatchObject({ status: 404 });
    await expect(otherTenant.deleteMedia(id)).rejects.toMatchObject({ status: 404 });
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

  it('leaves nothing in the worker temp root', () => {
    expect(readdirSync(stack.workerTempRoot)).toEqual([]);
  });
});

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type KeyPairJwk,
  generateX25519KeyPair,
  wrapKey,
} from '@airlock/crypto';
import { closeServer, listenLocal } from './http-util';
import {
  DEFAULT_CHROMIUM_PATH,
  type PlayResult,
  type PlayableMedia,
  play,
} from './player';
import { type PlayerServer, startPlayerServer } from './player-server';
import { type StaticServer, startStaticServer } from './static-server';

/**
 * The harness itself with the SDK's real browser bundle in headless Chromium: what it reports when
 * the player cannot start or cannot load, and that it never hangs. Playback of real encrypted
 * media, rung by rung, is the manifester's playback spec (it has the manifest writers). Needs
 * Chromium.
 */
describe('player harness (SDK player in headless Chromium)', () => {
  const keyId = randomBytes(16).toString('hex');
  const key = new Uint8Array(randomBytes(16));
  let dir: string;
  let upstream: StaticServer;
  let server: PlayerServer;
  let alice: KeyPairJwk;
  let media: PlayableMedia;

  beforeAll(async () => {
    await access(process.env['AIRLOCK_CHROMIUM'] ?? DEFAULT_CHROMIUM_PATH);
    dir = await mkdtemp(join(tmpdir(), 'airlock-player-int-'));
    await mkdir(join(dir, 'man'));
    // A playlist that names a media playlist nobody stored.
    await writeFile(
      join(dir, 'man', 'master.m3u8'),
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000,CODECS="avc1.64001e"\ngone.m3u8\n',
    );
    alice = await generateX25519KeyPair('alice');
    upstream = await startStaticServer({ rootDir: dir });
    server = await startPlayerServer({ upstreamBaseUrl: upstream.baseUrl });
    media = {
      id: 'med_harness',
      state: 'ready',
      manifests: { hls: 'man/missing.m3u8', dash: 'man/missing.mpd' },
      keyId,
      keys: [
        { recipientId: 'alice', jwe: await wrapKey(key, alice.publicJwk) },
      ],
    };
  });

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A failure the player reported with its reason, rather than a hang or a timeout. */
  function expectFailure(result: PlayResult, reason: string): void {
    expect({
      reason: result.failure?.reason,
      timedOut: result.timedOut,
      reachedEnd: result.reachedEnd,
      advanced: result.advanced,
    }).toEqual({ reason, timedOut: false, reachedEnd: false, advanced: false });
    expect(result.states.map((s) => s.state)).toEqual(['loading', 'failed']);
  }

  it.each(['hls', 'dash'] as const)(
    '%s: manifest_unavailable when the manifest is not there',
    async (format) => {
      const result = await play({
        server,
        media,
        key: { outputKey: key },
        format,
        timeoutMs: 60_000,
      });
      expectFailure(result, 'manifest_unavailable');
      expect(result.format).toBe(format);
      expect(result.segments).toEqual([]);
    },
  );

  it('hls: manifest_unavailable when a media playlist is not there', async () => {
    const result = await play({
      upstreamBaseUrl: upstream.baseUrl,
      media: {
        ...media,
        manifests: { hls: `${upstream.baseUrl}/man/master.m3u8`, dash: '' },
      },
      key: { recipientId: 'alice', privateJwk: alice.privateJwk },
      format: 'hls',
      timeoutMs: 60_000,
    });
    expectFailure(result, 'manifest_unavailable');
  });

  it('media_not_ready for a media still processing, before anything is fetched', async () => {
    const before = server.mediaRequests.length;
    const result = await play({
      server,
      media: { ...media, state: 'processing', manifests: undefined },
      key: { outputKey: key },
      timeoutMs: 60_000,
    });
    expectFailure(result, 'media_not_ready');
    expect(result.format).toBeUndefined();
    expect(server.mediaRequests.length).toBe(before);
  });

  it('key_unwrap_failed for a wrapped key that was tampered with, before anything is fetched', async () => {
    const parts = media.keys[0].jwe.split('.');
    const tag = Buffer.from(parts[4], 'base64url');
    tag[0] ^= 1;
    parts[4] = tag.toString('base64url');
    const before = server.mediaRequests.length;
    const result = await play({
      server,
      media: {
        ...media,
        keys: [{ recipientId: 'alice', jwe: parts.join('.') }],
      },
      key: { recipientId: 'alice', privateJwk: alice.privateJwk },
      timeoutMs: 60_000,
    });
    expectFailure(result, 'key_unwrap_failed');
    expect(server.mediaRequests.length).toBe(before);
  });

  it('times out with a result instead of hanging when the manifest never comes', async () => {
    const silent = createServer(() => undefined);
    const silentUrl = await listenLocal(silent);
    try {
      const result = await play({
        upstreamBaseUrl: silentUrl,
        media: {
          ...media,
          manifests: { hls: 'master.m3u8', dash: 'manifest.mpd' },
        },
        key: { outputKey: key },
        format: 'hls',
        timeoutMs: 4_000,
      });
      expect(result.timedOut).toBe(true);
      expect(result.failure).toBeUndefined();
      expect(result.states.map((s) => s.state)).toEqual(['loading']);
      expect(result.elapsedMs).toBeLessThan(15_000);
    } finally {
      await closeServer(silent);
    }
  });

  it('checks its options before starting a browser', async () => {
    const base = { media, timeoutMs: 5_000 };
    await expect(play({ ...base, key: { outputKey: key } })).rejects.toThrow(
      /exactly one of server and upstreamBaseUrl/,
    );
    await expect(
      play({
        ...base,
        server,
        upstreamBaseUrl: upstream.baseUrl,
        key: { outputKey: key },
      }),
    ).rejects.toThrow(/exactly one of server and upstreamBaseUrl/);
    await expect(
      play({ ...base, server, key: { outputKey: key.subarray(0, 8) } }),
    ).rejects.toThrow(/outputKey is not 16 bytes/);
    await expect(
      play({
        ...base,
        server,
        key: { recipientId: 'alice', privateJwk: alice.publicJwk },
      }),
    ).rejects.toThrow(/not a private JWK/);
    await expect(
      play({
        ...base,
        server,
        media: {
          ...media,
          manifests: { hls: 'http://elsewhere.test/a.m3u8', dash: '' },
        },
        key: { outputKey: key },
      }),
    ).rejects.toThrow(/not under the player server's upstream/);
  });
});

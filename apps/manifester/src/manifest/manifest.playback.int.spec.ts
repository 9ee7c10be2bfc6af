import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type KeyPairJwk,
  generateX25519KeyPair,
  wrapKey,
} from '@airlock/crypto';
import { storageKeys } from '@airlock/domain';
import {
  DEFAULT_CHROMIUM_PATH,
  type EncryptedLadder,
  FIXTURE_RUNGS,
  type PlayResult,
  type PlayableMedia,
  type PlayerServer,
  type StaticServer,
  makeEncryptedLadder,
  missingSegments,
  otherRenditionsLoaded,
  parseMpd,
  play,
  startPlayerServer,
  startStaticServer,
} from '@airlock/testing';
import { AES128_CBC_SCHEME } from './dash-mpd.writer';
import { publishManifests } from './manifest.fixture';

/**
 * What the manifester publishes, played by the SDK's embeddable player (hls.js for HLS, shaka for
 * DASH) in headless Chromium: a real ladder (the worker's encode and packaging, every init and
 * media segment encrypted whole with AES-128-CBC), the manifester's own playlists and MPD, served
 * over HTTP. Every rung is pinned in turn and played through to the end in real time; the page is
 * the recipient and unwraps the key itself. Needs ffmpeg, Shaka Packager and Chromium.
 */
const TIMEOUT = 180_000;
const MEDIA_ID = 'med_play';
const VERSION = 'v1';
const SECONDS = 6;
/** Playback not moving for longer than this is a stall, and any stall fails a test. */
const STALL_MS = 3000;

describe('the SDK player plays the published manifests in Chromium', () => {
  // Fixed, not random: every run decrypts the same objects the same way. A random wrong key passes
  // PKCS#7 padding on about one object in 256; the player checks decrypted objects for an fMP4 box,
  // so that is key_wrong too (24 random wrong keys, HLS and DASH, all key_wrong), but a run should
  // not depend on which padding it drew.
  const keyIdHex = '3c5f8a1e9b2d4c6f8e0a1b3c5d7e9f01';
  const key = new Uint8Array(
    Buffer.from('8d1f2e3c4b5a69788796a5b4c3d2e1f0', 'hex'),
  );
  const otherKey = new Uint8Array(
    Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f8', 'hex'),
  );
  const otherKeyId = 'aa5f8a1e9b2d4c6f8e0a1b3c5d7e9f02';
  let dir: string;
  let bucket: string;
  let ladder: EncryptedLadder;
  let upstream: StaticServer;
  let server: PlayerServer;
  let alice: KeyPairJwk;
  let mallory: KeyPairJwk;
  let media: PlayableMedia;

  beforeAll(async () => {
    await access(process.env['AIRLOCK_CHROMIUM'] ?? DEFAULT_CHROMIUM_PATH);
    dir = await mkdtemp(join(tmpdir(), 'airlock-manifest-play-'));
    bucket = join(dir, 'bucket');
    alice = await generateX25519KeyPair('alice');
    mallory = await generateX25519KeyPair('mallory');
    ladder = await makeEncryptedLadder({
      workDir: dir,
      bucketDir: bucket,
      mediaId: MEDIA_ID,
      keyIdHex,
      key,
      seconds: SECONDS,
    });
    // Only facts and the key id reach the writers: no key, no clear bytes.
    await publishManifests(bucket, { mediaId: MEDIA_ID, version: VERSION, streams: ladder.streams, outputs: ladder.outputs });
    upstream = await startStaticServer({ rootDir: bucket });
    server = await startPlayerServer({ upstreamBaseUrl: upstream.baseUrl });
    media = {
      id: MEDIA_ID,
      state: 'ready',
      manifests: {
        hls: storageKeys.hlsMaster(MEDIA_ID, VERSION),
        dash: storageKeys.dashManifest(MEDIA_ID, VERSION),
      },
      keyId: keyIdHex,
      keys: [
        { recipientId: 'alice', jwe: await wrapKey(key, alice.publicJwk) },
      ],
    };
  }, TIMEOUT);

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const asAlice = () => ({
    recipientId: 'alice',
    privateJwk: alice.privateJwk,
  });

  it('publishes AES-128 playlists that name the key by URI only, and an MPD without ContentProtection', async () => {
    const read = (k: string) => readFile(join(bucket, k), 'utf8');
    const keyHex = Buffer.from(key).toString('hex');
    for (const rendition of [...FIXTURE_RUNGS.map((r) => r.name), 'audio']) {
      const playlist = await read(
        storageKeys.hlsMedia(MEDIA_ID, VERSION, rendition),
      );
      const keyLines = playlist
        .split('\n')
        .filter((l) => l.startsWith('#EXT-X-KEY:'));
      // One before the init segment and one before each media segment.
      expect(keyLines).toHaveLength(ladder.segmentCounts[rendition] + 1);
      for (const line of keyLines)
        expect(line).toMatch(
          new RegExp(
            `^#EXT-X-KEY:METHOD=AES-128,URI="airlock-key://${MEDIA_ID}/${keyIdHex}",IV=0x[0-9a-f]{32}$`,
          ),
        );
      expect(playlist).not.toContain(keyHex);
    }
    const mpdText = await read(storageKeys.dashManifest(MEDIA_ID, VERSION));
    expect(mpdText).not.toContain('ContentProtection');
    expect(mpdText).toContain(
      `schemeIdUri="${AES128_CBC_SCHEME}" value="${keyIdHex}"`,
    );
    const mpd = parseMpd(mpdText);
    expect(mpd.representations.map((r) => [r.id, r.segments])).toEqual([
      ...FIXTURE_RUNGS.map((r) => [r.name, SECONDS / 2]),
      ['audio', ladder.segmentCounts['audio']],
    ]);
  });

  /** Played through to the end on one pinned rung: every segment of it and of audio, nothing else, no stall. */
  function expectPlayedThrough(
    result: PlayResult,
    rung: (typeof FIXTURE_RUNGS)[number],
  ): void {
    expect({
      failure: result.failure,
      stalls: result.stalls,
      timedOut: result.timedOut,
      reachedEnd: result.reachedEnd,
    }).toEqual({
      failure: undefined,
      stalls: [],
      timedOut: false,
      reachedEnd: true,
    });
    expect(result.renditions).toEqual(FIXTURE_RUNGS.map((r) => r.name));
    expect(result.renditionsShown).toEqual([rung.name]);
    expect(result.frameSizes).toEqual([`${rung.width}x${rung.height}`]);
    expect(
      missingSegments(result.segments, {
        [rung.name]: ladder.segmentCounts[rung.name],
        audio: ladder.segmentCounts['audio'],
      }),
    ).toEqual([]);
    expect(
      otherRenditionsLoaded(result.segments, [rung.name, 'audio']),
    ).toEqual([]);
    expect(result.duration).toBeGreaterThan(SECONDS - 0.5);
    expect(result.duration).toBeLessThan(SECONDS + 0.5);
  }

  for (const format of ['hls', 'dash'] as const) {
    describe(`${format}, every rung pinned in turn`, () => {
      for (const rung of FIXTURE_RUNGS) {
        it(
          `plays ${rung.name} through to the end`,
          async () => {
            const result = await play({
              server,
              media,
              key: asAlice(),
              format,
              rendition: rung.name,
              stallTimeoutMs: STALL_MS,
              timeoutMs: 90_000,
            });
            expect(result.format).toBe(format);
            expectPlayedThrough(result, rung);
          },
          TIMEOUT,
        );
      }
    });
  }

  it(
    'chooses HLS by itself and plays adaptively',
    async () => {
      const result = await play({
        server,
        media,
        key: asAlice(),
        playThrough: false,
        timeoutMs: 60_000,
      });
      expect({
        format: result.format,
        failure: result.failure,
        advanced: result.advanced,
        stalls: result.stalls,
      }).toEqual({
        format: 'hls',
        failure: undefined,
        advanced: true,
        stalls: [],
      });
      expect(result.renditionsShown.length).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it('never sends the key or the private key anywhere: every request was a manifest or a segment', () => {
    const keyHex = Buffer.from(key).toString('hex');
    const d = String((alice.privateJwk as { d?: string }).d);
    expect(server.mediaRequests.length).toBeGreaterThan(0);
    for (const request of server.mediaRequests) {
      expect(request.path).toMatch(/^(man|seg)\//);
      expect(request.path).not.toContain(keyHex);
      expect(request.path).not.toContain(d);
      expect(request.status).toBe(200);
    }
  });

  /** A failure the player reported with its reason, rather than a hang, a timeout or playback. */
  function expectFailure(result: PlayResult, reason: string): void {
    expect({
      reason: result.failure?.reason,
      timedOut: result.timedOut,
      reachedEnd: result.reachedEnd,
    }).toEqual({
      reason,
      timedOut: false,
      reachedEnd: false,
    });
    expect(result.states.at(-1)?.state).toBe('failed');
  }

  describe('fails with a named reason', () => {
    for (const format of ['hls', 'dash'] as const) {
      it(
        `${format}: key_wrong for an output key that is not the media's`,
        async () => {
          const wrong = new Uint8Array(key);
          wrong[15] ^= 1;
          const result = await play({
            server,
            media,
            key: { outputKey: wrong },
            format,
            timeoutMs: 60_000,
          });
          expectFailure(result, 'key_wrong');
          expect(result.frameSizes).toEqual([]);
        },
        TIMEOUT,
      );

      it(
        `${format}: key_wrong when the recipient's wrapped key is not the media's key`,
        async () => {
          const wrong = otherKey;
          const result = await play({
            server,
            media: {
              ...media,
              keys: [
                {
                  recipientId: 'alice',
                  jwe: await wrapKey(wrong, alice.publicJwk),
                },
              ],
            },
            key: asAlice(),
            format,
            timeoutMs: 60_000,
          });
          expectFailure(result, 'key_wrong');
        },
        TIMEOUT,
      );

      it(
        `${format}: key_missing when the page holds a key for another key id than the ${format === 'hls' ? 'playlists name' : 'MPD names'}`,
        async () => {
          const result = await play({
            server,
            media: { ...media, keyId: otherKeyId },
            key: { outputKey: key },
            format,
            timeoutMs: 60_000,
          });
          expectFailure(result, 'key_missing');
          // Found out before any segment was opened.
          expect(result.frameSizes).toEqual([]);
        },
        TIMEOUT,
      );

      it(
        `${format}: not_a_recipient for someone the media was not sent to, before anything is fetched`,
        async () => {
          const before = server.mediaRequests.length;
          const result = await play({
            server,
            media,
            key: { recipientId: 'mallory', privateJwk: mallory.privateJwk },
            format,
            timeoutMs: 60_000,
          });
          expectFailure(result, 'not_a_recipient');
          expect(result.segments).toEqual([]);
          expect(server.mediaRequests.length).toBe(before);
        },
        TIMEOUT,
      );

      it(
        `${format}: key_unwrap_failed when the private key is not the recipient's`,
        async () => {
          const result = await play({
            server,
            media,
            key: { recipientId: 'alice', privateJwk: mallory.privateJwk },
            format,
            timeoutMs: 60_000,
          });
          expectFailure(result, 'key_unwrap_failed');
          expect(result.segments).toEqual([]);
        },
        TIMEOUT,
      );
    }
  });
});

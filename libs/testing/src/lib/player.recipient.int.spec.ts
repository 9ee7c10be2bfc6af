import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  type KeyPairJwk,
  generateX25519KeyPair,
  wrapKey,
} from '@airlock/crypto';
import {
  DEFAULT_CHROMIUM_PATH,
  type PlayResult,
  playDash,
  playHls,
  unwrapKeyInPage,
} from './player';
import { type PlayerServer, startPlayerServer } from './player-server';
import { type StaticServer, startStaticServer } from './static-server';

const run = promisify(execFile);

/** Shaka Packager's prebuilt binary from the shaka-packager npm package (linux-x64 / arm64, macOS). */
function packagerPath(): string {
  const names: Record<string, string> = {
    'linux-x64': 'packager-linux-x64',
    'linux-arm64': 'packager-linux-arm64',
    'darwin-x64': 'packager-osx-x64',
    'darwin-arm64': 'packager-osx-arm64',
  };
  const name = names[`${process.platform}-${process.arch}`];
  if (!name)
    throw new Error(
      `no Shaka Packager binary for ${process.platform}-${process.arch}`,
    );
  return join(
    dirname(require.resolve('shaka-packager/package.json')),
    'bin',
    name,
  );
}

/**
 * Recipient mode of the player harness: the page gets only the recipient's private JWK, the
 * wrapped key and the key id, unwraps the key itself with WebCrypto and plays cbcs-encrypted media.
 * Needs ffmpeg, Shaka Packager (npm shaka-packager) and /usr/bin/chromium.
 */
describe('player harness in recipient mode (page unwraps the key)', () => {
  const KID = randomBytes(16).toString('hex');
  const KEY = randomBytes(16);
  let dir: string;
  let upstream: StaticServer;
  let server: PlayerServer;
  let alice: KeyPairJwk;
  let mallory: KeyPairJwk;
  let jwe: string;

  beforeAll(async () => {
    await access(process.env['AIRLOCK_CHROMIUM'] ?? DEFAULT_CHROMIUM_PATH);
    await access(packagerPath());
    alice = await generateX25519KeyPair('alice');
    mallory = await generateX25519KeyPair('mallory');
    jwe = await wrapKey(KEY, alice.publicJwk);
    dir = await mkdtemp(join(tmpdir(), 'airlock-player-recipient-'));
    // 6 s, H.264 + AAC, a keyframe every 2 s.
    await run(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostdin',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=30:duration=6',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=48000:duration=6',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-profile:v',
        'main',
        '-pix_fmt',
        'yuv420p',
        '-g',
        '60',
        '-keyint_min',
        '60',
        '-sc_threshold',
        '0',
        '-c:a',
        'aac',
        '-b:a',
        '96k',
        '-ac',
        '2',
        '-shortest',
        'clip.mp4',
      ],
      { cwd: dir },
    );
    // cbcs, every sample encrypted, as the pipeline's output.
    await run(
      packagerPath(),
      [
        'in=clip.mp4,stream=video,init_segment=out/v/init.mp4,segment_template=out/v/$Number$.m4s,playlist_name=v.m3u8',
        'in=clip.mp4,stream=audio,init_segment=out/a/init.mp4,segment_template=out/a/$Number$.m4s,playlist_name=a.m3u8,hls_group_id=audio',
        '--enable_raw_key_encryption',
        '--keys',
        `label=:key_id=${KID}:key=${KEY.toString('hex')}`,
        '--protection_scheme',
        'cbcs',
        '--clear_lead',
        '0',
        '--segment_duration',
        '2',
        '--generate_static_live_mpd',
        '--mpd_output',
        'out/manifest.mpd',
        '--hls_master_playlist_output',
        'out/master.m3u8',
      ],
      { cwd: dir },
    );
    // The packager signals raw keys as KEYFORMAT="identity"; hls.js needs the ClearKey form the
    // manifester writes.
    const kidBase64 = Buffer.from(KID, 'hex').toString('base64');
    for (const playlist of ['v.m3u8', 'a.m3u8']) {
      const file = join(dir, 'out', playlist);
      const text = await readFile(file, 'utf8');
      const keyed = text.replace(
        /^#EXT-X-KEY:.*$/m,
        `#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;base64,${kidBase64}",` +
          `KEYFORMAT="org.w3.clearkey",KEYFORMATVERSIONS="1",KEYID=0x${KID.toUpperCase()}`,
      );
      if (keyed === text) throw new Error(`${playlist}: no EXT-X-KEY`);
      await writeFile(file, keyed);
    }
    upstream = await startStaticServer({ rootDir: join(dir, 'out') });
    server = await startPlayerServer({ upstreamBaseUrl: upstream.baseUrl });
  });

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    server.licenseRequests.length = 0;
  });

  /** A failure the page reported itself, quickly, rather than a hang or a timeout. */
  function expectCleanFailure(result: PlayResult, pattern: RegExp): void {
    expect(result.fatalErrors.length).toBeGreaterThan(0);
    expect(result.fatalErrors.join('\n')).toMatch(pattern);
    expect(result.timedOut).toBe(false);
    expect(result.currentTimeAdvanced).toBe(false);
    expect(result.reachedEnd).toBe(false);
    expect(result.elapsedMs).toBeLessThan(30_000);
  }

  it('unwraps in the page exactly the key wrapKey wrapped', async () => {
    await expect(
      unwrapKeyInPage({
        baseUrl: server.baseUrl,
        privateJwk: alice.privateJwk,
        jwe,
      }),
    ).resolves.toBe(KEY.toString('hex'));
  });

  it('cannot unwrap in the page with another private key or a tampered JWE', async () => {
    await expect(
      unwrapKeyInPage({
        baseUrl: server.baseUrl,
        privateJwk: mallory.privateJwk,
        jwe,
      }),
    ).rejects.toThrow(/page could not unwrap: JWEDecryptionFailed/);
    const parts = jwe.split('.');
    const tag = Buffer.from(parts[4], 'base64url');
    tag[0] ^= 1;
    parts[4] = tag.toString('base64url');
    await expect(
      unwrapKeyInPage({
        baseUrl: server.baseUrl,
        privateJwk: alice.privateJwk,
        jwe: parts.join('.'),
      }),
    ).rejects.toThrow(/page could not unwrap/);
  });

  it('hls.js plays the encrypted HLS with a license the page answered itself', async () => {
    const result = await playHls({
      baseUrl: server.baseUrl,
      manifestUrlPath: 'master.m3u8',
      recipient: { privateJwk: alice.privateJwk, jwe, keyId: KID },
      timeoutMs: 60_000,
    });
    expect(result).toMatchObject({
      fatalErrors: [],
      currentTimeAdvanced: true,
      reachedEnd: true,
      timedOut: false,
      unwrappedInPage: true,
      variants: 1,
      audioTracks: 1,
    });
    expect(result.pageLicenses).toBeGreaterThan(0);
    expect(result.duration).toBeGreaterThan(5.5);
    // Nothing about the key went to the server: no license request, no key in any URL.
    expect(server.licenseRequests).toEqual([]);
    const keyHex = KEY.toString('hex');
    for (const request of server.mediaRequests)
      expect(request.path).not.toContain(keyHex);
  });

  it('shaka-player plays the encrypted DASH with drm.clearKeys from the page', async () => {
    const result = await playDash({
      baseUrl: server.baseUrl,
      manifestUrlPath: 'manifest.mpd',
      recipient: {
        privateJwk: alice.privateJwk,
        jwe,
        keyId: KID.toUpperCase(),
      },
      timeoutMs: 60_000,
    });
    expect(result).toMatchObject({
      fatalErrors: [],
      currentTimeAdvanced: true,
      reachedEnd: true,
      timedOut: false,
      unwrappedInPage: true,
      variants: 1,
      audioTracks: 1,
    });
    expect(result.duration).toBeGreaterThan(5.5);
    expect(server.licenseRequests).toEqual([]);
  });

  it('fails fast in both players when the private key is not the recipient’s', async () => {
    const recipient = { privateJwk: mallory.privateJwk, jwe, keyId: KID };
    const hls = await playHls({
      baseUrl: server.baseUrl,
      manifestUrlPath: 'master.m3u8',
      recipient,
      timeoutMs: 60_000,
    });
    expectCleanFailure(hls, /recipient: cannot unwrap the media key/);
    expect(hls.unwrappedInPage).toBe(false);
    expect(hls.segmentsLoaded).toBe(0);
    const dash = await playDash({
      baseUrl: server.baseUrl,
      manifestUrlPath: 'manifest.mpd',
      recipient,
      timeoutMs: 60_000,
    });
    expectCleanFailure(dash, /recipient: cannot unwrap the media key/);
    expect(dash.unwrappedInPage).toBe(false);
    expect(server.licenseRequests).toEqual([]);
  });

  it('the media really is encrypted: no DRM fails, and a wrapped wrong key does not decode', async () => {
    expectCleanFailure(
      await playHls({
        baseUrl: server.baseUrl,
        manifestUrlPath: 'master.m3u8',
        timeoutMs: 60_000,
      }),
      /keyLoadError/,
    );
    const wrong = Buffer.from(KEY);
    wrong[15] ^= 1;
    const recipient = {
      privateJwk: alice.privateJwk,
      jwe: await wrapKey(wrong, alice.publicJwk),
      keyId: KID,
    };
    const hls = await playHls({
      baseUrl: server.baseUrl,
      manifestUrlPath: 'master.m3u8',
      recipient,
      timeoutMs: 60_000,
    });
    expectCleanFailure(hls, /PIPELINE_ERROR_DECODE/);
    expect(hls.unwrappedInPage).toBe(true);
    expect(hls.pageLicenses).toBeGreaterThan(0);
    const dash = await playDash({
      baseUrl: server.baseUrl,
      manifestUrlPath: 'manifest.mpd',
      recipient,
      timeoutMs: 60_000,
    });
    expectCleanFailure(dash, /PIPELINE_ERROR_DECODE|shaka error 3016/);
    expect(dash.unwrappedInPage).toBe(true);
  });

  it('fails hls.js cleanly when the unwrapped key is for another key id', async () => {
    const otherKid = randomBytes(16).toString('hex');
    const hls = await playHls({
      baseUrl: server.baseUrl,
      manifestUrlPath: 'master.m3u8',
      recipient: { privateJwk: alice.privateJwk, jwe, keyId: otherKid },
      timeoutMs: 60_000,
    });
    // The page holds no key for the media's key id, so the request goes to the server, which has none.
    expectCleanFailure(hls, /keySystemLicenseRequestFailed \(HTTP 403\)/);
    expect(hls.unwrappedInPage).toBe(true);
    expect(hls.pageLicenses).toBe(0);
    expect(server.licenseRequests[0]).toEqual({
      kids: [KID],
      granted: [],
      status: 403,
    });
  });

  it('checks recipient options before starting a browser', async () => {
    const base = { baseUrl: server.baseUrl, manifestUrlPath: 'manifest.mpd' };
    await expect(
      playDash({
        ...base,
        recipient: { privateJwk: alice.privateJwk, jwe, keyId: KID },
        clearKeys: {},
      }),
    ).rejects.toThrow(/at most one of clearKeys and recipient/);
    await expect(
      playDash({
        ...base,
        recipient: { privateJwk: alice.privateJwk, jwe, keyId: 'abc' },
      }),
    ).rejects.toThrow(/recipient key id "abc" is not 32 hex digits/);
    await expect(
      playDash({
        ...base,
        recipient: { privateJwk: alice.publicJwk, jwe, keyId: KID },
      }),
    ).rejects.toThrow(/not a private JWK/);
    await expect(
      playDash({
        ...base,
        recipient: { privateJwk: alice.privateJwk, jwe: 'a.b', keyId: KID },
      }),
    ).rejects.toThrow(/not a compact JWE/);
  });
});

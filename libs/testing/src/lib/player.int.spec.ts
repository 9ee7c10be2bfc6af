import { execFile } from 'node:child_process';
import {
  access,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseMpd } from './mpd';
import { DEFAULT_CHROMIUM_PATH, playDash, playHls } from './player';
import { type PlayerServer, startPlayerServer } from './player-server';
import { type StaticServer, startStaticServer } from './static-server';

const run = promisify(execFile);

/** ffmpeg with fixed, quiet output; rejects with ffmpeg's stderr on failure. */
async function ffmpeg(args: string[], cwd: string): Promise<void> {
  await run(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args],
    { cwd },
  );
}

/**
 * End-to-end check of the harness itself: real media from ffmpeg, served by a static upstream,
 * played by hls.js and shaka-player in headless Chromium. Needs ffmpeg and /usr/bin/chromium.
 */
describe('player harness (ffmpeg + headless Chromium)', () => {
  let dir: string;
  let upstream: StaticServer;
  let server: PlayerServer;

  beforeAll(async () => {
    await access(process.env['AIRLOCK_CHROMIUM'] ?? DEFAULT_CHROMIUM_PATH);
    dir = await mkdtemp(join(tmpdir(), 'airlock-player-int-'));
    // 8 s, 640x360, H.264 + AAC, a keyframe every 2 s so the muxers can cut 2 s segments.
    await ffmpeg(
      [
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=30:duration=8',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=48000:duration=8',
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
      dir,
    );
    await mkdir(join(dir, 'hls'));
    await ffmpeg(
      [
        '-i',
        '../clip.mp4',
        '-c',
        'copy',
        '-f',
        'hls',
        '-hls_segment_type',
        'fmp4',
        '-hls_time',
        '2',
        '-hls_playlist_type',
        'vod',
        '-hls_fmp4_init_filename',
        'init.mp4',
        '-hls_segment_filename',
        'seg_%03d.m4s',
        'index.m3u8',
      ],
      join(dir, 'hls'),
    );
    await mkdir(join(dir, 'dash'));
    await ffmpeg(
      [
        '-i',
        '../clip.mp4',
        '-map',
        '0:v',
        '-map',
        '0:a',
        '-c',
        'copy',
        '-f',
        'dash',
        '-seg_duration',
        '2',
        '-use_template',
        '1',
        '-use_timeline',
        '1',
        'manifest.mpd',
      ],
      join(dir, 'dash'),
    );
    upstream = await startStaticServer({ rootDir: dir });
    server = await startPlayerServer({ upstreamBaseUrl: upstream.baseUrl });
  });

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('made fMP4 HLS and DASH output', async () => {
    const files = await readdir(join(dir, 'hls'));
    expect(files).toEqual(
      expect.arrayContaining([
        'index.m3u8',
        'init.mp4',
        'seg_000.m4s',
        'seg_003.m4s',
      ]),
    );
    const mpd = parseMpd(
      await readFile(join(dir, 'dash', 'manifest.mpd'), 'utf8'),
    );
    expect(mpd.durationSec).toBeGreaterThan(7.9);
    expect(mpd.representations.map((r) => r.codecs)).toEqual([
      expect.stringMatching(/^avc1\./),
      expect.stringMatching(/^mp4a\.40\.2$/),
    ]);
    expect(mpd.representations[0]).toMatchObject({
      width: 640,
      height: 360,
      segments: 4,
    });
  });

  it('plays HLS fMP4 with hls.js to the end', async () => {
    const result = await playHls({
      baseUrl: server.baseUrl,
      manifestUrlPath: 'hls/index.m3u8',
      timeoutMs: 60_000,
    });
    expect(result).toMatchObject({
      player: 'hls',
      fatalErrors: [],
      currentTimeAdvanced: true,
      reachedEnd: true,
    });
    expect(result.timedOut).toBe(false);
    expect(result.duration).toBeGreaterThan(7.5);
    expect(result.duration).toBeLessThan(8.5);
    expect(result.variants).toBe(1);
    expect(result.segmentsLoaded).toBeGreaterThanOrEqual(2);
    expect(server.mediaRequests).toContainEqual({
      path: 'hls/init.mp4',
      status: 200,
    });
  });

  it('plays DASH with shaka-player to the end', async () => {
    const result = await playDash({
      baseUrl: server.baseUrl,
      manifestUrlPath: '/dash/manifest.mpd',
      timeoutMs: 60_000,
    });
    expect(result).toMatchObject({
      player: 'dash',
      fatalErrors: [],
      currentTimeAdvanced: true,
      reachedEnd: true,
    });
    expect(result.duration).toBeGreaterThan(7.5);
    expect(result.variants).toBe(1);
    expect(result.audioTracks).toBe(1);
    expect(result.segmentsLoaded).toBeGreaterThanOrEqual(2);
  });

  it('still plays clear media with ClearKey configured', async () => {
    const clearKeys = {
      '00112233445566778899aabbccddeeff': 'ffeeddccbbaa99887766554433221100',
    };
    const hls = await playHls({
      baseUrl: server.baseUrl,
      manifestUrlPath: 'hls/index.m3u8',
      clearKeys,
      timeoutMs: 60_000,
    });
    expect(hls).toMatchObject({ fatalErrors: [], reachedEnd: true });
    const dash = await playDash({
      baseUrl: server.baseUrl,
      manifestUrlPath: 'dash/manifest.mpd',
      clearKeys,
      timeoutMs: 60_000,
    });
    expect(dash).toMatchObject({ fatalErrors: [], reachedEnd: true });
    expect(server.licenseRequests).toEqual([]);
  });

  it('refuses malformed clear keys before starting a browser', async () => {
    await expect(
      playDash({
        baseUrl: server.baseUrl,
        manifestUrlPath: 'dash/manifest.mpd',
        clearKeys: { abc: 'def' },
      }),
    ).rejects.toThrow(/clear key id "abc" is not 32 hex digits/);
  });

  it('reports a missing HLS playlist as a fatal error', async () => {
    const result = await playHls({
      upstreamBaseUrl: upstream.baseUrl,
      manifestUrlPath: 'hls/missing.m3u8',
      timeoutMs: 30_000,
    });
    expect(result.fatalErrors.length).toBeGreaterThan(0);
    expect(result.fatalErrors.join('\n')).toMatch(/manifestLoadError/);
    expect(result.currentTimeAdvanced).toBe(false);
    expect(result.reachedEnd).toBe(false);
  });

  it('reports a missing MPD as a fatal error', async () => {
    const result = await playDash({
      upstreamBaseUrl: upstream.baseUrl,
      manifestUrlPath: 'dash/missing.mpd',
      timeoutMs: 30_000,
    });
    expect(result.fatalErrors.length).toBeGreaterThan(0);
    expect(result.reachedEnd).toBe(false);
  });

  it('times out with a result instead of hanging', async () => {
    const result = await playHls({
      baseUrl: server.baseUrl,
      manifestUrlPath: 'hls/index.m3u8',
      timeoutMs: 2_500,
    });
    expect(result.timedOut).toBe(true);
    expect(result.reachedEnd).toBe(false);
    expect(result.elapsedMs).toBeLessThan(10_000);
  });
});

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  access,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { OutputFact, StreamInfo } from '@airlock/contracts';
import { storageKeys } from '@airlock/domain';
import {
  DEFAULT_CHROMIUM_PATH,
  type PlayerServer,
  type StaticServer,
  parseMpd,
  playDash,
  playHls,
  startPlayerServer,
  startStaticServer,
} from '@airlock/testing';
import { writeManifests } from './write-manifests';

/**
 * End to end: real CMAF renditions from ffmpeg, facts read from their boxes, manifests from the
 * writers, played by hls.js and shaka-player in headless Chromium. Needs ffmpeg and Chromium.
 */
const TIMEOUT = 120_000;
const run = promisify(execFile);

interface Box {
  type: string;
  start: number;
  end: number;
  body: number;
}

function boxes(buf: Buffer, start = 0, end = buf.length): Box[] {
  const out: Box[] = [];
  for (let pos = start; pos + 8 <= end; ) {
    let size = buf.readUInt32BE(pos);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(pos + 8));
      header = 16;
    } else if (size === 0) size = end - pos;
    out.push({
      type: buf.toString('latin1', pos + 4, pos + 8),
      start: pos,
      end: pos + size,
      body: pos + header,
    });
    pos += size;
  }
  return out;
}

function find(buf: Buffer, path: string[], within?: Box): Box | undefined {
  let box: Box | undefined = within;
  for (const type of path) {
    box = boxes(buf, box ? box.body : 0, box ? box.end : buf.length).find(
      (b) => b.type === type,
    );
    if (!box) return undefined;
  }
  return box;
}

/** mdhd timescale and trex default sample duration of a single-track init segment. */
function readInit(buf: Buffer): { timescale: number; defaultDuration: number } {
  const mdhd = find(buf, ['moov', 'trak', 'mdia', 'mdhd']);
  if (!mdhd) throw new Error('init segment without mdhd');
  const timescale =
    buf.readUInt8(mdhd.body) === 1
      ? buf.readUInt32BE(mdhd.body + 20)
      : buf.readUInt32BE(mdhd.body + 12);
  const trex = find(buf, ['moov', 'mvex', 'trex']);
  return {
    timescale,
    defaultDuration: trex ? buf.readUInt32BE(trex.body + 12) : 0,
  };
}

/** tfdt of the first fragment, summed sample durations and sample count of a media segment. */
function readSegment(buf: Buffer, defaultDuration: number) {
  let baseDecodeTime: number | undefined;
  let duration = 0;
  let sampleCount = 0;
  for (const moof of boxes(buf).filter((b) => b.type === 'moof')) {
    const traf = find(buf, ['traf'], moof);
    const tfhd = traf && find(buf, ['tfhd'], traf);
    const tfdt = traf && find(buf, ['tfdt'], traf);
    if (!traf || !tfhd || !tfdt) throw new Error('moof without traf/tfhd/tfdt');
    const tfdtValue =
      buf.readUInt8(tfdt.body) === 1
        ? Number(buf.readBigUInt64BE(tfdt.body + 4))
        : buf.readUInt32BE(tfdt.body + 4);
    baseDecodeTime ??= tfdtValue;
    const tfhdFlags = buf.readUInt32BE(tfhd.body) & 0xffffff;
    let offset =
      tfhd.body + 8 + (tfhdFlags & 0x01 ? 8 : 0) + (tfhdFlags & 0x02 ? 4 : 0);
    const trafDefault =
      tfhdFlags & 0x08 ? buf.readUInt32BE(offset) : defaultDuration;
    for (const trun of boxes(buf, traf.body, traf.end).filter(
      (b) => b.type === 'trun',
    )) {
      const flags = buf.readUInt32BE(trun.body) & 0xffffff;
      const count = buf.readUInt32BE(trun.body + 4);
      offset = trun.body + 8 + (flags & 0x01 ? 4 : 0) + (flags & 0x04 ? 4 : 0);
      const stride =
        [0x100, 0x200, 0x400, 0x800].filter((f) => flags & f).length * 4;
      for (let i = 0; i < count; i++) {
        duration +=
          flags & 0x100 ? buf.readUInt32BE(offset + i * stride) : trafDefault;
      }
      sampleCount += count;
    }
  }
  return { baseDecodeTime: baseDecodeTime ?? 0, duration, sampleCount };
}

async function ffmpeg(args: string[], cwd: string): Promise<void> {
  await run(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args],
    { cwd },
  );
}

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

describe('manifests play in real players', () => {
  const mediaId = 'med_e2e';
  const version = 'v1';
  let dir: string;
  let bucket: string;
  let upstream: StaticServer;
  let server: PlayerServer;

  /** Copies one ffmpeg-made rendition into the bucket layout and returns its facts. */
  async function ingest(
    rendition: string,
    from: string,
  ): Promise<OutputFact[]> {
    const init = await readFile(join(from, 'init.mp4'));
    const { timescale, defaultDuration } = readInit(init);
    const put = async (key: string, buf: Buffer) => {
      await mkdir(dirname(join(bucket, key)), { recursive: true });
      await writeFile(join(bucket, key), buf);
    };
    const initSha = sha256(init);
    const initKey = storageKeys.initSegment(mediaId, rendition, initSha);
    await put(initKey, init);
    const facts: OutputFact[] = [
      {
        kind: 'init',
        rendition,
        segmentIndex: -1,
        key: initKey,
        sha256: initSha,
        sizeBytes: init.length,
        timescale,
        baseDecodeTime: 0,
        duration: 0,
        sampleCount: 0,
      },
    ];
    const names = (await readdir(from))
      .filter((n) => n.endsWith('.m4s'))
      .sort();
    for (const [index, name] of names.entries()) {
      const buf = await readFile(join(from, name));
      const sha = sha256(buf);
      const key = storageKeys.mediaSegment(mediaId, rendition, index, sha);
      await put(key, buf);
      facts.push({
        kind: 'media',
        rendition,
        segmentIndex: index,
        key,
        sha256: sha,
        sizeBytes: buf.length,
        timescale,
        ...readSegment(buf, defaultDuration),
      });
    }
    return facts;
  }

  beforeAll(async () => {
    await access(process.env['AIRLOCK_CHROMIUM'] ?? DEFAULT_CHROMIUM_PATH);
    dir = await mkdtemp(join(tmpdir(), 'airlock-manifest-e2e-'));
    bucket = join(dir, 'bucket');
    const source = [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=30:duration=8',
    ];
    const cmaf = (out: string) => [
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
      `${out}/%03d.m4s`,
      `${out}/index.m3u8`,
    ];
    const video = (name: string, size: string, rate: string) => [
      ...source,
      '-vf',
      `scale=${size}`,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-profile:v',
      'main',
      '-pix_fmt',
      'yuv420p',
      '-b:v',
      rate,
      '-g',
      '60',
      '-keyint_min',
      '60',
      '-sc_threshold',
      '0',
      '-an',
      ...cmaf(name),
    ];
    for (const name of ['360p', '720p', 'audio']) await mkdir(join(dir, name));
    await Promise.all([
      ffmpeg(video('360p', '640:360', '600k'), dir),
      ffmpeg(video('720p', '1280:720', '1500k'), dir),
      ffmpeg(
        [
          '-f',
          'lavfi',
          '-i',
          'sine=frequency=440:sample_rate=48000:duration=8',
          '-c:a',
          'aac',
          '-b:a',
          '96k',
          '-ac',
          '2',
          ...cmaf('audio'),
        ],
        dir,
      ),
    ]);
    const streams: StreamInfo[] = [
      {
        rendition: '360p',
        type: 'video',
        codecs: 'avc1.4d401e',
        width: 640,
        height: 360,
        fps: { num: 30, den: 1 },
        bitrateKbps: 600,
      },
      {
        rendition: '720p',
        type: 'video',
        codecs: 'avc1.4d401f',
        width: 1280,
        height: 720,
        fps: { num: 30, den: 1 },
        bitrateKbps: 1500,
      },
      {
        rendition: 'audio',
        type: 'audio',
        codecs: 'mp4a.40.2',
        bitrateKbps: 96,
        sampleRate: 48000,
        channels: 2,
      },
    ];
    const outputs = (
      await Promise.all(
        streams.map((s) => ingest(s.rendition, join(dir, s.rendition))),
      )
    ).flat();
    for (const file of writeManifests({ mediaId, version, streams, outputs })
      .files) {
      await mkdir(dirname(join(bucket, file.key)), { recursive: true });
      await writeFile(join(bucket, file.key), file.body);
    }
    // A second copy under another prefix: relative URIs must work behind any base path.
    await mkdir(join(dir, 'elsewhere'));
    await copyDir(bucket, join(dir, 'elsewhere', 'cdn'));
    upstream = await startStaticServer({ rootDir: dir });
    server = await startPlayerServer({
      upstreamBaseUrl: `${upstream.baseUrl}/bucket`,
    });
  }, TIMEOUT);

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('describes the real segments', async () => {
    const mpd = parseMpd(
      await readFile(
        join(bucket, storageKeys.dashManifest(mediaId, version)),
        'utf8',
      ),
    );
    expect(mpd.representations.map((r) => [r.id, r.segments])).toEqual([
      ['360p', 4],
      ['720p', 4],
      // AAC priming makes the audio 8.021 s: ffmpeg cuts a fifth, 21 ms segment.
      ['audio', expect.any(Number)],
    ]);
    expect(mpd.representations[2].segments).toBeGreaterThanOrEqual(4);
    expect(mpd.durationSec).toBeGreaterThan(7.9);
  });

  it(
    'plays the HLS master with hls.js',
    async () => {
      const result = await playHls({
        baseUrl: server.baseUrl,
        manifestUrlPath: storageKeys.hlsMaster(mediaId, version),
        timeoutMs: 60_000,
      });
      expect(result).toMatchObject({
        fatalErrors: [],
        currentTimeAdvanced: true,
        reachedEnd: true,
        variants: 2,
        audioTracks: 1,
      });
      expect(server.mediaRequests.every((r) => r.status === 200)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'plays the MPD with shaka-player',
    async () => {
      const result = await playDash({
        baseUrl: server.baseUrl,
        manifestUrlPath: storageKeys.dashManifest(mediaId, version),
        timeoutMs: 60_000,
      });
      expect(result).toMatchObject({
        fatalErrors: [],
        currentTimeAdvanced: true,
        reachedEnd: true,
        variants: 2,
        audioTracks: 1,
      });
      expect(result.duration).toBeGreaterThan(7.5);
    },
    TIMEOUT,
  );

  it(
    'plays from another base path',
    async () => {
      const result = await playHls({
        upstreamBaseUrl: `${upstream.baseUrl}/elsewhere/cdn`,
        manifestUrlPath: storageKeys.hlsMaster(mediaId, version),
        timeoutMs: 60_000,
      });
      expect(result).toMatchObject({ fatalErrors: [], reachedEnd: true });
    },
    TIMEOUT,
  );
});

async function copyDir(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (entry.isDirectory())
      await copyDir(join(from, entry.name), join(to, entry.name));
    else await copyFile(join(from, entry.name), join(to, entry.name));
  }
}

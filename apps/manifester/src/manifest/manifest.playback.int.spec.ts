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
  type PlayResult,
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

/**
 * Stores one rendition's init segment and media segments (in index order) at their bucket keys and
 * returns the facts a verifier would report for them.
 */
async function ingestObjects(
  bucket: string,
  mediaId: string,
  rendition: string,
  init: Buffer,
  segments: Buffer[],
): Promise<OutputFact[]> {
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
  for (const [index, buf] of segments.entries()) {
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

/** Writes every manifest file of a presentation into the bucket. */
async function putManifests(
  bucket: string,
  input: Parameters<typeof writeManifests>[0],
): Promise<void> {
  for (const file of (await writeManifests(input)).files) {
    await mkdir(dirname(join(bucket, file.key)), { recursive: true });
    await writeFile(join(bucket, file.key), file.body);
  }
}

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
    const names = (await readdir(from))
      .filter((n) => n.endsWith('.m4s'))
      .sort();
    return ingestObjects(
      bucket,
      mediaId,
      rendition,
      await readFile(join(from, 'init.mp4')),
      await Promise.all(names.map((name) => readFile(join(from, name)))),
    );
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
    await putManifests(bucket, { mediaId, version, streams, outputs });
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

/** Shaka Packager's prebuilt binary for this machine, shipped inside the shaka-packager npm package. */
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

/** RFC 6381 codecs of an H.264 init segment, from its avcC (inside avc1, or encv when encrypted). */
function avcCodecs(init: Buffer): string {
  const at = init.indexOf('avcC', 0, 'latin1');
  if (at < 4) throw new Error('init segment without avcC');
  return `avc1.${init.subarray(at + 5, at + 8).toString('hex')}`;
}

/** Protection scheme (schm) and default key id (tenc) of an encrypted init segment. */
function protectionOf(init: Buffer): { scheme: string; keyId: string } {
  const schm = init.indexOf('schm', 0, 'latin1');
  const tenc = init.indexOf('tenc', 0, 'latin1');
  if (schm < 4 || tenc < 4) throw new Error('init segment without schm/tenc');
  return {
    scheme: init.toString('latin1', schm + 8, schm + 12),
    keyId: init.subarray(tenc + 12, tenc + 28).toString('hex'),
  };
}

describe('cbcs CMAF packaged chunk by chunk plays in real players', () => {
  const mediaId = 'med_e2e_cbcs';
  const version = 'v1';
  // Its base64 has "+" and "/": the HLS key tag's data URI must carry them intact.
  const KID = 'fbefbe3f0f7e41d9a2c3b4d5e6f70819';
  const KEY = '6a1f0c9e8d7b2a4c5e3f1d0b9a8c7e6f';
  const WRONG_KEY = '6a1f0c9e8d7b2a4c5e3f1d0b9a8c7e6e';
  const CHUNK_SEC = 4;
  const CHUNKS = 2;
  const DURATION = CHUNK_SEC * CHUNKS;
  /** The IV is constant per rendition: with cbcs that is safe, and it keeps init segments identical across chunks. */
  const RENDITIONS = [
    {
      name: '360p',
      scale: '640:360',
      rate: 600,
      iv: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    },
    {
      name: '720p',
      scale: '1280:720',
      rate: 1500,
      iv: '1f2e3d4c5b6a79880796a5b4c3d2e1f0',
    },
  ];
  const AUDIO_IV = '2f3e4d5c6b7a89900796a5b4c3d2e1f0';
  const encryption = { scheme: 'cbcs' as const, keyId: KID };
  let dir: string;
  let bucket: string;
  let upstream: StaticServer;
  let server: PlayerServer;
  /** Rendition -> the init segment the packager wrote for each chunk. */
  const chunkInits = new Map<string, Buffer[]>();
  const outputs: OutputFact[] = [];

  /** Packages one fragmented mp4 into one encrypted CMAF init + media segment, as a worker does per chunk. */
  async function packageChunk(
    input: string,
    stream: 'video' | 'audio',
    iv: string,
  ): Promise<{ init: Buffer; segment: Buffer }> {
    const out = `${input}.cmaf`;
    await mkdir(join(dir, out));
    await run(
      packagerPath(),
      [
        `in=${input},stream=${stream},init_segment=${out}/init.mp4,segment_template=${out}/seg_$Number$.m4s`,
        '--enable_raw_key_encryption',
        '--keys',
        `label=:key_id=${KID}:key=${KEY}`,
        '--protection_scheme',
        'cbcs',
        '--iv',
        iv,
        '--clear_lead',
        '0',
        '--segment_duration',
        '3600',
        '--use_fake_clock_for_muxer',
      ],
      { cwd: dir },
    );
    const segments = (await readdir(join(dir, out))).filter((n) =>
      n.endsWith('.m4s'),
    );
    if (segments.length !== 1)
      throw new Error(`${input}: expected one segment, got ${segments.join()}`);
    return {
      init: await readFile(join(dir, out, 'init.mp4')),
      segment: await readFile(join(dir, out, segments[0])),
    };
  }

  /** Encodes chunk `index` of a rendition on its own, with the source timeline kept, then packages it. */
  async function videoChunk(
    rendition: (typeof RENDITIONS)[number],
    index: number,
  ): Promise<{ init: Buffer; segment: Buffer }> {
    const start = index * CHUNK_SEC;
    const file = `${rendition.name}-${index}.mp4`;
    await ffmpeg(
      [
        '-threads',
        '1',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=1280x720:rate=30:duration=${DURATION}`,
        '-filter_threads',
        '1',
        '-vf',
        `trim=start=${start}:end=${start + CHUNK_SEC},setpts=PTS-STARTPTS,scale=${rendition.scale}`,
        '-c:v',
        'libx264',
        '-threads',
        '1',
        '-preset',
        'veryfast',
        '-profile:v',
        'main',
        '-pix_fmt',
        'yuv420p',
        '-b:v',
        `${rendition.rate}k`,
        '-maxrate',
        `${rendition.rate}k`,
        '-bufsize',
        `${rendition.rate * 2}k`,
        // GOP longer than the chunk: one keyframe, at the chunk's start.
        '-g',
        '300',
        '-keyint_min',
        '300',
        '-sc_threshold',
        '0',
        '-x264-params',
        'open-gop=0',
        '-an',
        '-output_ts_offset',
        String(start),
        '-movflags',
        '+frag_keyframe+empty_moov+default_base_moof+frag_discont+negative_cts_offsets',
        '-f',
        'mp4',
        file,
      ],
      dir,
    );
    return packageChunk(file, 'video', rendition.iv);
  }

  beforeAll(async () => {
    await access(process.env['AIRLOCK_CHROMIUM'] ?? DEFAULT_CHROMIUM_PATH);
    await access(packagerPath());
    dir = await mkdtemp(join(tmpdir(), 'airlock-manifest-cbcs-'));
    bucket = join(dir, 'bucket');
    // Audio is encoded whole: independently encoded AAC chunks overlap by their priming (an open question).
    const audio = (async () => {
      await ffmpeg(
        [
          '-f',
          'lavfi',
          '-i',
          `sine=frequency=440:sample_rate=48000:duration=${DURATION}`,
          '-c:a',
          'aac',
          '-b:a',
          '96k',
          '-ac',
          '2',
          '-movflags',
          '+frag_keyframe+empty_moov+default_base_moof',
          '-f',
          'mp4',
          'audio.mp4',
        ],
        dir,
      );
      return packageChunk('audio.mp4', 'audio', AUDIO_IV);
    })();
    const chunks = await Promise.all(
      RENDITIONS.flatMap((r) =>
        Array.from({ length: CHUNKS }, (_, i) => videoChunk(r, i)),
      ),
    );
    const streams: StreamInfo[] = [];
    for (const [n, rendition] of RENDITIONS.entries()) {
      const mine = chunks.slice(n * CHUNKS, (n + 1) * CHUNKS);
      chunkInits.set(
        rendition.name,
        mine.map((c) => c.init),
      );
      const [width, height] = rendition.scale.split(':').map(Number);
      streams.push({
        rendition: rendition.name,
        type: 'video',
        codecs: avcCodecs(mine[0].init),
        width,
        height,
        fps: { num: 30, den: 1 },
        bitrateKbps: rendition.rate,
        encryption,
      });
      outputs.push(
        ...(await ingestObjects(
          bucket,
          mediaId,
          rendition.name,
          mine[0].init,
          mine.map((c) => c.segment),
        )),
      );
    }
    const audioCmaf = await audio;
    chunkInits.set('audio', [audioCmaf.init]);
    streams.push({
      rendition: 'audio',
      type: 'audio',
      codecs: 'mp4a.40.2',
      bitrateKbps: 96,
      sampleRate: 48000,
      channels: 2,
      encryption,
    });
    outputs.push(
      ...(await ingestObjects(bucket, mediaId, 'audio', audioCmaf.init, [
        audioCmaf.segment,
      ])),
    );
    // Only facts and the key id reach the writers: no key, no plaintext.
    await putManifests(bucket, { mediaId, version, streams, outputs });
    upstream = await startStaticServer({ rootDir: bucket });
    server = await startPlayerServer({ upstreamBaseUrl: upstream.baseUrl });
  }, TIMEOUT);

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A failure the player reported itself, quickly, rather than a hang or a timeout. */
  function expectCleanFailure(result: PlayResult, pattern: RegExp): void {
    expect(result.fatalErrors.length).toBeGreaterThan(0);
    expect(result.fatalErrors.join('\n')).toMatch(pattern);
    expect(result.timedOut).toBe(false);
    expect(result.reachedEnd).toBe(false);
    expect(result.elapsedMs).toBeLessThan(30_000);
  }

  it('packages encrypted chunks whose init segments are identical and whose segments join', () => {
    for (const [rendition, inits] of chunkInits) {
      expect(protectionOf(inits[0])).toEqual({ scheme: 'cbcs', keyId: KID });
      for (const init of inits) expect(init.equals(inits[0])).toBe(true);
      const segments = outputs.filter(
        (o) => o.rendition === rendition && o.kind === 'media',
      );
      expect(segments).toHaveLength(rendition === 'audio' ? 1 : CHUNKS);
      for (const [i, seg] of segments.entries()) {
        if (i === 0) expect(seg.baseDecodeTime).toBe(0);
        else {
          const prev = segments[i - 1];
          expect(seg.baseDecodeTime).toBe(prev.baseDecodeTime + prev.duration);
        }
      }
      const last = segments[segments.length - 1];
      // Video ends on the chunk grid; audio runs over by the AAC frame padding.
      expect(
        (last.baseDecodeTime + last.duration) / last.timescale,
      ).toBeCloseTo(DURATION, rendition === 'audio' ? 1 : 6);
    }
  });

  it('signals the key in the manifests', async () => {
    const read = (key: string) => readFile(join(bucket, key), 'utf8');
    const mpd = await read(storageKeys.dashManifest(mediaId, version));
    expect(
      mpd.match(/cenc:default_KID="fbefbe3f-0f7e-41d9-a2c3-b4d5e6f70819"/g),
    ).toHaveLength(2);
    expect(
      parseMpd(mpd).representations.map((r) => [r.id, r.segments]),
    ).toEqual([
      ['360p', CHUNKS],
      ['720p', CHUNKS],
      ['audio', 1],
    ]);
    for (const rendition of ['360p', '720p', 'audio']) {
      expect(
        await read(storageKeys.hlsMedia(mediaId, version, rendition)),
      ).toContain(
        '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;base64,++++Pw9+Qdmiw7TV5vcIGQ==",' +
          'KEYFORMAT="org.w3.clearkey",KEYFORMATVERSIONS="1",KEYID=0xFBEFBE3F0F7E41D9A2C3B4D5E6F70819\n#EXT-X-MAP:',
      );
    }
  });

  it(
    'plays with hls.js and the right key from a ClearKey license',
    async () => {
      server.licenseRequests.length = 0;
      const result = await playHls({
        baseUrl: server.baseUrl,
        manifestUrlPath: storageKeys.hlsMaster(mediaId, version),
        clearKeys: { [KID]: KEY },
        timeoutMs: 60_000,
      });
      expect(result).toMatchObject({
        fatalErrors: [],
        currentTimeAdvanced: true,
        reachedEnd: true,
        timedOut: false,
        variants: 2,
        audioTracks: 1,
      });
      expect(result.duration).toBeGreaterThan(DURATION - 0.5);
      expect(result.segmentsLoaded).toBeGreaterThanOrEqual(CHUNKS + 1);
      expect(server.licenseRequests.length).toBeGreaterThan(0);
      for (const request of server.licenseRequests)
        expect(request).toEqual({ kids: [KID], granted: [KID], status: 200 });
    },
    TIMEOUT,
  );

  it(
    'plays with shaka-player and the right key',
    async () => {
      const result = await playDash({
        baseUrl: server.baseUrl,
        manifestUrlPath: storageKeys.dashManifest(mediaId, version),
        clearKeys: { [KID]: KEY },
        timeoutMs: 60_000,
      });
      expect(result).toMatchObject({
        fatalErrors: [],
        currentTimeAdvanced: true,
        reachedEnd: true,
        timedOut: false,
        variants: 2,
        audioTracks: 1,
      });
      expect(result.duration).toBeGreaterThan(DURATION - 0.5);
      expect(result.segmentsLoaded).toBeGreaterThanOrEqual(CHUNKS + 1);
    },
    TIMEOUT,
  );

  it(
    'fails cleanly in both players with the wrong key',
    async () => {
      const options = {
        baseUrl: server.baseUrl,
        clearKeys: { [KID]: WRONG_KEY },
        timeoutMs: 60_000,
      };
      // The CDM takes any key for the key id; decryption then yields garbage the decoder rejects.
      expectCleanFailure(
        await playHls({
          ...options,
          manifestUrlPath: storageKeys.hlsMaster(mediaId, version),
        }),
        /PIPELINE_ERROR_DECODE/,
      );
      expectCleanFailure(
        await playDash({
          ...options,
          manifestUrlPath: storageKeys.dashManifest(mediaId, version),
        }),
        /PIPELINE_ERROR_DECODE|shaka error 3016/,
      );
    },
    TIMEOUT,
  );

  it(
    'fails cleanly in both players without the key',
    async () => {
      const hls = storageKeys.hlsMaster(mediaId, version);
      const dash = storageKeys.dashManifest(mediaId, version);
      const base = { baseUrl: server.baseUrl, timeoutMs: 60_000 };
      // No DRM configured at all.
      expectCleanFailure(
        await playHls({ ...base, manifestUrlPath: hls }),
        /keyLoadError/,
      );
      expectCleanFailure(
        await playDash({ ...base, manifestUrlPath: dash }),
        /shaka error 6012/,
      );
      // ClearKey configured, but nothing known for this key id: the license server refuses.
      server.licenseRequests.length = 0;
      expectCleanFailure(
        await playHls({ ...base, manifestUrlPath: hls, clearKeys: {} }),
        /keySystemLicenseRequestFailed \(HTTP 403\)/,
      );
      expect(server.licenseRequests[0]).toEqual({
        kids: [KID],
        granted: [],
        status: 403,
      });
      expectCleanFailure(
        await playDash({ ...base, manifestUrlPath: dash, clearKeys: {} }),
        /shaka error 6012/,
      );
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

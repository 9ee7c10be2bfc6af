import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { MediaView } from '@airlock/contracts';
import { encryptSegment, generateX25519KeyPair, hlsIvAttribute, segmentIv, segmentKeyUri, wrapKey } from '@airlock/crypto';
import { AUDIO_RENDITION, relativeKey, storageKeys } from '@airlock/domain';
import { parseReceiveArgs, receive, ReceiveDeps } from './receive.command';
import { parseSendArgs } from './send.command';

const run = promisify(execFile);
jest.setTimeout(60_000);

const KEY_ID = '00112233445566778899aabbccddeeff';
const KEY = '0f0e0d0c0b0a09080706050403020100';
const PACKAGER = join(dirname(require.resolve('shaka-packager/package.json')), 'bin', 'packager-linux-x64');
const MEDIA = 'med_1';
const STORE = 'http://store.test/bucket/';

describe('argument parsing', () => {
  it('parses send', () => {
    expect(parseSendArgs(['clip.mp4', '--to', 'bob.pub.json', '--profiles', '240p, 360p', '--recipient-id', 'bob'], {})).toEqual({
      file: 'clip.mp4',
      to: 'bob.pub.json',
      recipientId: 'bob',
      profiles: ['240p', '360p'],
      apiUrl: 'http://127.0.0.1:3000',
      apiKey: 'airlock-dev-key',
    });
    expect(() => parseSendArgs(['clip.mp4'], {})).toThrow(/--to/);
    expect(() => parseSendArgs(['--to', 'x'], {})).toThrow(/FILE/);
  });

  it('parses receive, with --key as the private key file and the API key from --api-key or the env', () => {
    expect(parseReceiveArgs(['med_1', '--key', 'bob.json', '--out', 'o.mp4'], { AIRLOCK_API_KEY: 'k', AIRLOCK_API_URL: 'http://api' })).toEqual({
      mediaId: 'med_1',
      keyFile: 'bob.json',
      recipientId: undefined,
      out: 'o.mp4',
      apiUrl: 'http://api',
      apiKey: 'k',
    });
    expect(parseReceiveArgs(['med_1', '--key', 'b', '-o', 'o.mp4', '--api-key', 'x'], {}).apiKey).toBe('x');
    expect(() => parseReceiveArgs(['med_1', '--out', 'o.mp4'], {})).toThrow(/--key/);
    expect(() => parseReceiveArgs(['med_1', '--key', 'b'], {})).toThrow(/--out/);
    expect(() => parseReceiveArgs(['med_1', '--key', 'b', '--out', 'o', '--bogus'], {})).toThrow();
  });
});

/**
 * A published media as the pipeline leaves it, in a directory laid out like the bucket: each
 * rendition packaged clear, every init and segment encrypted whole (AES-128-CBC) with the IV of
 * its place, at its content-hash key, and HLS playlists naming the key by its airlock-key:// URI.
 */
async function publish(dir: string, src: string, bucket: string): Promise<{ master: string }> {
  const clear = join(dir, 'clear');
  await run(PACKAGER, [
    `in=${src},stream=video,init_segment=${clear}/video/init.mp4,segment_template=${clear}/video/$Number$.m4s`,
    `in=${src},stream=audio,init_segment=${clear}/audio/init.mp4,segment_template=${clear}/audio/$Number$.m4s`,
    '--segment_duration', '1', '--use_fake_clock_for_muxer',
  ]);
  const version = 'v1';
  const put = async (key: string, bytes: Uint8Array | string) => {
    await mkdir(dirname(join(bucket, key)), { recursive: true });
    await writeFile(join(bucket, key), bytes);
  };
  const keyLine = async (rendition: string, index: number) => `#EXT-X-KEY:METHOD=AES-128,URI="${segmentKeyUri(MEDIA, KEY_ID)}",IV=${hlsIvAttribute(await segmentIv(KEY_ID, rendition, index))}`;
  const track = async (from: string, rendition: string) => {
    const sealed = async (file: string, index: number) => Buffer.from(await encryptSegment(await readFile(join(clear, from, file)), Buffer.from(KEY, 'hex'), await segmentIv(KEY_ID, rendition, index)));
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const playlistKey = storageKeys.hlsMedia(MEDIA, version, rendition);
    const init = await sealed('init.mp4', -1);
    const initKey = storageKeys.initSegment(MEDIA, rendition, sha(init));
    await put(initKey, init);
    const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:2', '#EXT-X-PLAYLIST-TYPE:VOD', await keyLine(rendition, -1), `#EXT-X-MAP:URI="${relativeKey(playlistKey, initKey)}"`];
    const numbered = (await readdir(join(clear, from))).filter((f) => f.endsWith('.m4s')).sort((a, b) => parseInt(a) - parseInt(b));
    for (const [index, file] of numbered.entries()) {
      const segment = await sealed(file, index);
      const key = storageKeys.mediaSegment(MEDIA, rendition, index, sha(segment));
      await put(key, segment);
      lines.push(await keyLine(rendition, index), '#EXTINF:1.000,', relativeKey(playlistKey, key));
    }
    await put(playlistKey, [...lines, '#EXT-X-ENDLIST', ''].join('\n'));
    return playlistKey;
  };
  const masterKey = storageKeys.hlsMaster(MEDIA, version);
  const video = await track('video', '240p');
  const audio = await track('audio', AUDIO_RENDITION);
  await put(
    masterKey,
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,URI="${relativeKey(masterKey, audio)}"`,
      '#EXT-X-STREAM-INF:BANDWIDTH=600000,RESOLUTION=320x240,CODECS="avc1.64000d,mp4a.40.2",AUDIO="audio"',
      relativeKey(masterKey, video),
      '',
    ].join('\n'),
  );
  return { master: `${STORE}${masterKey}` };
}

describe('receive (a media packaged clear and encrypted whole, AES-128, served by a fake store)', () => {
  let dir: string;
  let keyFile: string;
  let media: MediaView;
  const fetched: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-receive-spec-'));
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-c:a', 'aac', '-shortest', join(dir, 'src.mp4')]);
    const { master } = await publish(dir, join(dir, 'src.mp4'), join(dir, 'bucket'));
    const pair = await generateX25519KeyPair('bob');
    keyFile = join(dir, 'bob.json');
    await writeFile(keyFile, JSON.stringify({ id: 'bob', ...pair }), { mode: 0o600 });
    const jwe = await wrapKey(Buffer.from(KEY, 'hex'), pair.publicJwk);
    media = {
      id: MEDIA,
      state: 'ready',
      recipientStatus: 'ready',
      progress: { done: 1, total: 1 },
      renditions: [{ name: '240p', ready: true }],
      manifests: { hls: master, dash: `${STORE}${storageKeys.dashManifest(MEDIA, 'v1')}` },
      keyId: KEY_ID,
      keys: [{ recipientId: 'bob', jwe }],
      createdAt: '',
      updatedAt: '',
    };
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  function deps(view: MediaView): ReceiveDeps {
    return {
      client: { getMedia: (id: string) => Promise.resolve({ ...view, id }) },
      fetch: (async (input: string | URL | Request) => {
        const url = String(input);
        fetched.push(url);
        if (!url.startsWith(STORE)) return new Response('nope', { status: 404 });
        try {
          return new Response(await readFile(join(dir, 'bucket', url.slice(STORE.length))));
        } catch {
          return new Response('missing', { status: 404 });
        }
      }) as typeof fetch,
      ffmpeg: async (args) => {
        await run('ffmpeg', args);
      },
    };
  }

  it('downloads, decrypts and muxes a playable MP4 with every frame', async () => {
    const out = join(dir, 'received.mp4');
    const result = await receive({ mediaId: MEDIA, keyFile, out, apiUrl: 'http://api.test', apiKey: 'k' }, deps(media));
    expect(result).toEqual({ out, resolution: '320x240' });
    const paths = fetched.map((u) => u.slice(STORE.length));
    expect(paths).toEqual(expect.arrayContaining(['man/med_1/v1/master.m3u8', 'man/med_1/v1/240p.m3u8', 'man/med_1/v1/audio.m3u8']));
    expect(paths.filter((p) => /^seg\/med_1\/240p\/init-[0-9a-f]{64}\.mp4$/.test(p))).toHaveLength(1);
    expect(paths.filter((p) => /^seg\/med_1\/240p\/\d+-[0-9a-f]{64}\.m4s$/.test(p)).length).toBeGreaterThan(1);
    expect(paths.filter((p) => /^seg\/med_1\/audio\/\d+-[0-9a-f]{64}\.m4s$/.test(p)).length).toBeGreaterThan(1);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,codec_name,nb_read_frames', '-of', 'json', out]);
    const streams = (JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string; nb_read_frames: string }[] }).streams;
    expect(streams.map((s) => [s.codec_type, s.codec_name])).toEqual([
      ['video', 'h264'],
      ['audio', 'aac'],
    ]);
    expect(streams[0].nb_read_frames).toBe('50');
    // Decoding with errors fatal: garbage (still-encrypted) samples would fail or differ.
    const decoded = await run('ffmpeg', ['-v', 'error', '-xerror', '-i', out, '-map', '0:v', '-f', 'framemd5', '-']);
    const reference = await run('ffmpeg', ['-v', 'error', '-i', join(dir, 'src.mp4'), '-map', '0:v', '-f', 'framemd5', '-']);
    const hashes = (s: string) => s.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').pop());
    expect(hashes(decoded.stdout)).toEqual(hashes(reference.stdout));
  });

  it('refuses a media that is not ready and a recipient without a key', async () => {
    const out = join(dir, 'never.mp4');
    await expect(receive({ mediaId: MEDIA, keyFile, out, apiUrl: 'http://api.test', apiKey: 'k' }, deps({ ...media, state: 'processing', manifests: undefined }))).rejects.toThrow(/not ready/);
    await expect(receive({ mediaId: MEDIA, keyFile, recipientId: 'eve', out, apiUrl: 'http://api.test', apiKey: 'k' }, deps(media))).rejects.toThrow(/recipient eve has no key on this media/);
  });

  it('fails cleanly, writing nothing, when the wrapped key is not the media key', async () => {
    const out = join(dir, 'wrong.mp4');
    const { publicJwk } = JSON.parse(await readFile(keyFile, 'utf8')) as { publicJwk: Parameters<typeof wrapKey>[1] };
    const wrong = { ...media, keys: [{ recipientId: 'bob', jwe: await wrapKey(Buffer.alloc(16, 0x77), publicJwk) }] };
    await expect(receive({ mediaId: MEDIA, keyFile, out, apiUrl: 'http://api.test', apiKey: 'k' }, deps(wrong))).rejects.toThrow(/\.(mp4|m4s) does not decrypt with this recipient's key/);
    await expect(access(out)).rejects.toThrow();
  });
});

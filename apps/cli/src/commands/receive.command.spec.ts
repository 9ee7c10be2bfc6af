import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { MediaView } from '@airlock/contracts';
import { generateX25519KeyPair, wrapKey } from '@airlock/crypto';
import { parseReceiveArgs, receive, ReceiveDeps } from './receive.command';
import { parseSendArgs } from './send.command';

const run = promisify(execFile);
jest.setTimeout(60_000);

const KEY_ID = '00112233445566778899aabbccddeeff';
const KEY = '0f0e0d0c0b0a09080706050403020100';
const PACKAGER = join(dirname(require.resolve('shaka-packager/package.json')), 'bin', 'packager-linux-x64');
const STORE = 'http://store.test/out/med_1/';

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

describe('receive (shaka packager cbcs output served by a fake store)', () => {
  let dir: string;
  let keyFile: string;
  let media: MediaView;
  const fetched: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-receive-spec-'));
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-c:a', 'aac', '-shortest', join(dir, 'src.mp4')]);
    const pkg = join(dir, 'pkg');
    const src = join(dir, 'src.mp4');
    await run(PACKAGER, [
      `in=${src},stream=video,init_segment=${pkg}/v/init.mp4,segment_template=${pkg}/v/$Number$.m4s,playlist_name=v/index.m3u8`,
      `in=${src},stream=audio,init_segment=${pkg}/a/init.mp4,segment_template=${pkg}/a/$Number$.m4s,playlist_name=a/index.m3u8,hls_group_id=audio,hls_name=audio`,
      '--hls_master_playlist_output', `${pkg}/master.m3u8`,
      '--enable_raw_key_encryption', '--keys', `label=:key_id=${KEY_ID}:key=${KEY}`,
      '--protection_scheme', 'cbcs', '--crypt_byte_block', '10', '--skip_byte_block', '0', '--iv', '000102030405060708090a0b0c0d0e0f',
      '--clear_lead', '0', '--segment_duration', '1', '--use_fake_clock_for_muxer', '--hls_key_uri', 'data:text/plain,x',
    ]);
    const pair = await generateX25519KeyPair('bob');
    keyFile = join(dir, 'bob.json');
    await writeFile(keyFile, JSON.stringify({ id: 'bob', ...pair }), { mode: 0o600 });
    const jwe = await wrapKey(Buffer.from(KEY, 'hex'), pair.publicJwk);
    media = {
      id: 'med_1',
      state: 'ready',
      recipientStatus: 'ready',
      progress: { done: 1, total: 1 },
      renditions: [{ name: '240p', ready: true }],
      manifests: { hls: `${STORE}master.m3u8`, dash: `${STORE}manifest.mpd` },
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
          return new Response(await readFile(join(dir, 'pkg', url.slice(STORE.length))));
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
    const result = await receive({ mediaId: 'med_1', keyFile, out, apiUrl: 'http://api.test', apiKey: 'k' }, deps(media));
    expect(result).toEqual({ out, resolution: '320x240' });
    expect(fetched).toEqual(expect.arrayContaining([`${STORE}master.m3u8`, `${STORE}v/index.m3u8`, `${STORE}v/init.mp4`, `${STORE}v/2.m4s`, `${STORE}a/1.m4s`]));
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
    await expect(receive({ mediaId: 'med_1', keyFile, out, apiUrl: 'http://api.test', apiKey: 'k' }, deps({ ...media, state: 'processing', manifests: undefined }))).rejects.toThrow(/not ready/);
    await expect(receive({ mediaId: 'med_1', keyFile, recipientId: 'eve', out, apiUrl: 'http://api.test', apiKey: 'k' }, deps(media))).rejects.toThrow(/no key for recipient eve/);
  });
});

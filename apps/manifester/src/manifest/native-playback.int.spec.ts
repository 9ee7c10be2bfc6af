import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { OutputFact } from '@airlock/contracts';
import { decryptSegment, segmentIv, segmentKeyUri } from '@airlock/crypto';
import { ProcessError, runProcess } from '@airlock/media';
import {
  type EncryptedLadder,
  type StaticServer,
  makeEncryptedLadder,
  startStaticServer,
} from '@airlock/testing';
import { publishManifests } from './manifest.fixture';
import type { WrittenManifests } from './write-manifests';

/**
 * FFmpeg's HLS demuxer as a native (non-EME) player of what the manifester publishes: a real
 * ladder (the worker's encode and packaging, every init and media segment encrypted whole),
 * the manifester's own playlists, served over HTTP. A native player answers the airlock-key://
 * URI itself; FFmpeg cannot, so each test plays a test-only copy of a playlist whose key URI is a
 * data: URI holding the key (what an app's key loader would hand over), with -allowed_extensions
 * ALL for the extensionless data URI. Everything else is the published playlist, byte for byte.
 */
const TIMEOUT = 240_000;
const FFMPEG_TIMEOUT_MS = 120_000;
const MEDIA_ID = 'med_native';
const VERSION = 'v1';

/** One framemd5 line per decoded frame: its stream index and md5 (timestamps differ between demuxers). */
interface Frame {
  stream: number;
  md5: string;
}

interface Decoded {
  /** Stream index -> media type, from framemd5's header. */
  types: Map<number, string>;
  frames: Frame[];
}

function parseFramemd5(text: string): Decoded {
  const types = new Map<number, string>();
  const frames: Frame[] = [];
  for (const line of text.split('\n')) {
    const type = /^#media_type (\d+): (\w+)$/.exec(line);
    if (type) types.set(Number(type[1]), type[2]);
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(',').map((f) => f.trim());
    frames.push({ stream: Number(fields[0]), md5: fields[5] });
  }
  return { types, frames };
}

/** Decodes every stream of an input to the end and returns each decoded frame's md5 (stderr must stay empty). */
async function decode(input: string, extra: string[] = []): Promise<Decoded> {
  const { stdout, stderr } = await runProcess(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      ...extra,
      '-i',
      input,
      '-map',
      '0',
      '-f',
      'framemd5',
      '-',
    ],
    { timeoutMs: FFMPEG_TIMEOUT_MS },
  );
  expect(stderr).toBe('');
  return parseFramemd5(stdout);
}

/** Frames of one media type, in order. */
function framesOf(decoded: Decoded, type: string): Frame[] {
  return decoded.frames.filter((f) => decoded.types.get(f.stream) === type);
}

const dataUri = (key: Uint8Array) =>
  `data:application/octet-stream;base64,${Buffer.from(key).toString('base64')}`;

describe('FFmpeg plays the encrypted HLS natively, with the key given locally', () => {
  const key = randomBytes(16);
  const keyIdHex = randomBytes(16).toString('hex');
  let dir: string;
  let bucket: string;
  let ladder: EncryptedLadder;
  let written: WrittenManifests;
  let server: StaticServer;
  /** The clear stream of each rendition: its stored objects decrypted with the SDK's decryptSegment and joined. */
  const clear = new Map<string, Decoded>();

  const manifestDir = () => dirname(join(bucket, written.hlsKey));
  const urlOf = (name: string) =>
    `${server.baseUrl}/${dirname(written.hlsKey)}/${name}`;
  const factsOf = (rendition: string) =>
    ladder.outputs
      .filter((o) => o.rendition === rendition)
      .sort((a, b) => a.segmentIndex - b.segmentIndex);

  /**
   * Writes a test-only copy of a published playlist next to it, with the key URI answered by a data:
   * URI (and, for the master, the media playlists replaced by their copies). Returns its URL.
   */
  async function playableCopy(
    name: string,
    answer: Uint8Array,
    prefix = 'native',
  ): Promise<string> {
    const published = await readFile(join(manifestDir(), name), 'utf8');
    const uri = segmentKeyUri(MEDIA_ID, keyIdHex);
    // A media playlist names the key before its init and before each segment; the master never does.
    const segments = published.split('#EXTINF').length - 1;
    expect(published.split(`URI="${uri}"`).length - 1).toBe(
      segments > 0 ? segments + 1 : 0,
    );
    const copy = published
      .replaceAll(`URI="${uri}"`, `URI="${dataUri(answer)}"`)
      .replace(/^([^#\n][^\n]*\.m3u8)$/gm, `${prefix}-$1`)
      .replace(/URI="([^"/]+\.m3u8)"/g, `URI="${prefix}-$1"`);
    await writeFile(join(manifestDir(), `${prefix}-${name}`), copy);
    return urlOf(`${prefix}-${name}`);
  }

  /**
   * Plays a playlist copy through FFmpeg's HLS demuxer, decoding every stream to the end, and
   * returns what it decoded and the requests it made to the store for one rendition's objects.
   */
  async function play(
    url: string,
    rendition?: string,
  ): Promise<Decoded & { requests: string[] }> {
    const before = server.requests.length;
    const decoded = await decode(url, ['-allowed_extensions', 'ALL']);
    const requests = server.requests
      .slice(before)
      .filter((r) => r.includes(`/seg/${MEDIA_ID}/${rendition ?? ''}`));
    return { ...decoded, requests };
  }

  /** Frames the clear chunks of a rendition hold: the sample counts read from their boxes. */
  const sampleCountOf = (rendition: string) =>
    factsOf(rendition).reduce((n, f) => n + f.sampleCount, 0);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-native-play-'));
    bucket = join(dir, 'bucket');
    const workDir = join(dir, 'work');
    await mkdir(workDir, { recursive: true });
    ladder = await makeEncryptedLadder({
      workDir,
      bucketDir: bucket,
      mediaId: MEDIA_ID,
      keyIdHex,
      key,
      seconds: 6,
    });
    written = await publishManifests(bucket, { mediaId: MEDIA_ID, version: VERSION, streams: ladder.streams, outputs: ladder.outputs });
    for (const rendition of written.renditions) {
      const parts = await Promise.all(
        factsOf(rendition).map(async (fact: OutputFact) =>
          decryptSegment(
            await readFile(join(bucket, fact.key)),
            key,
            await segmentIv(keyIdHex, rendition, fact.segmentIndex),
          ),
        ),
      );
      const joined = join(workDir, `clear-${rendition}.mp4`);
      await writeFile(joined, Buffer.concat(parts));
      clear.set(rendition, await decode(joined));
    }
    server = await startStaticServer({ rootDir: bucket });
  }, TIMEOUT);

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('publishes a multi-rung, multi-segment ladder with audio, every object encrypted', async () => {
    expect(written.renditions).toEqual(['180p', '270p', '360p', 'audio']);
    for (const rendition of written.renditions) {
      expect(ladder.segmentCounts[rendition]).toBeGreaterThanOrEqual(3);
      expect(
        ladder.streams.find((s) => s.rendition === rendition)?.encryption,
      ).toEqual({
        scheme: 'aes-128',
        keyId: keyIdHex,
      });
    }
    // No stored object opens as MP4: the first box of a clear init or segment is gone.
    for (const fact of ladder.outputs) {
      const stored = await readFile(join(bucket, fact.key));
      expect(['ftyp', 'styp', 'sidx', 'moof']).not.toContain(
        stored.toString('latin1', 4, 8),
      );
    }
  });

  // The frame count is what proves "to the end": FFmpeg stops quietly, exit 0 and nothing on
  // stderr, at the first segment it cannot parse (tried: one wrong IV in the middle of a rung gave
  // the frames before it and no error).
  it.each(['180p', '270p', '360p'])(
    'plays video rung %s to the end, every frame decoded as in the clear stream',
    async (rendition) => {
      const played = await play(
        await playableCopy(`${rendition}.m3u8`, key),
        rendition,
      );
      const frames = framesOf(played, 'video');
      expect(sampleCountOf(rendition)).toBe(180); // 6 s at 30 fps
      expect(frames).toHaveLength(sampleCountOf(rendition));
      expect(frames.map((f) => f.md5)).toEqual(
        framesOf(clear.get(rendition) as Decoded, 'video').map((f) => f.md5),
      );
      // The init and every segment fetched once from the store; the key never was.
      expect(played.requests).toHaveLength(ladder.segmentCounts[rendition] + 1);
      expect(played.requests.every((r) => r.endsWith('-> 200'))).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'plays the audio rendition to the end, every frame decoded as in the clear stream',
    async () => {
      const played = await play(await playableCopy('audio.m3u8', key), 'audio');
      const frames = framesOf(played, 'audio');
      expect(frames).toHaveLength(sampleCountOf('audio'));
      expect(frames.map((f) => f.md5)).toEqual(
        framesOf(clear.get('audio') as Decoded, 'audio').map((f) => f.md5),
      );
      expect(played.requests).toHaveLength(ladder.segmentCounts['audio'] + 1);
    },
    TIMEOUT,
  );

  it(
    'plays the master playlist: every variant and the audio group, to the end',
    async () => {
      for (const name of ['180p', '270p', '360p', 'audio'])
        await playableCopy(`${name}.m3u8`, key);
      const played = await play(await playableCopy('master.m3u8', key));
      // FFmpeg opens every variant of a master playlist as its own streams.
      const video = [...played.types].filter(([, t]) => t === 'video');
      expect(video).toHaveLength(3);
      for (const [index] of video)
        expect(played.frames.filter((f) => f.stream === index)).toHaveLength(
          180,
        );
      expect(framesOf(played, 'audio').map((f) => f.md5)).toEqual(
        framesOf(clear.get('audio') as Decoded, 'audio').map((f) => f.md5),
      );
    },
    TIMEOUT,
  );

  it(
    'fails cleanly under a wrong key: non-zero exit, invalid data',
    async () => {
      const wrong = Buffer.from(key);
      wrong[0] ^= 0xff;
      for (const name of ['360p.m3u8', 'audio.m3u8']) {
        const played = runProcess(
          'ffmpeg',
          [
            '-hide_banner',
            '-nostdin',
            '-v',
            'error',
            '-allowed_extensions',
            'ALL',
            '-i',
            await playableCopy(name, wrong, 'wrong'),
            '-f',
            'null',
            '-',
          ],
          { timeoutMs: FFMPEG_TIMEOUT_MS },
        );
        const error = await played.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ProcessError);
        expect(error).toMatchObject({
          kind: 'exit',
          stderrTail: expect.arrayContaining([
            expect.stringContaining('Invalid data found'),
          ]),
        });
        // It had the key (a missing one says so): the bytes did not decrypt under it.
        expect((error as ProcessError).stderrTail.join('\n')).not.toMatch(
          /Unable to open key/,
        );
      }
    },
    TIMEOUT,
  );
});

import type { RenditionSpec, SegmentSpec } from '@airlock/contracts';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildAudioEncodeArgs, buildSegmentEncodeArgs } from './ffmpeg-args.builder';
import { countVideoFrames } from './ffprobe.adapter';
import { makeClip, makeTempDir, removeDir } from './media-clips.fixtures';
import { readInitFacts, readSegmentFacts } from './mp4-boxes';
import { encoderBuild, packageAudio, packageVideoChunk } from './packager.adapter';
import { ProcessError, runProcess } from './process-runner';

/**
 * The chunked-encode contract end to end with the real tools: two adjacent chunks of one
 * rendition, encoded and packaged independently (as two workers would), must share an init
 * segment, sit at their exact place on the timeline, join into a stream with every frame,
 * and re-encode to the same bytes.
 */

const FPS = { num: 30, den: 1 };
const r360: RenditionSpec = { name: '360p', codec: 'h264', width: 640, height: 360, bitrateKbps: 800, hdr: false };
const chunks: SegmentSpec[] = [
  { index: 0, startFrame: 0, frameCount: 120, startSec: 0, durationSec: 4, gopAligned: true },
  { index: 1, startFrame: 120, frameCount: 60, startSec: 4, durationSec: 2, gopAligned: true },
];

describe('chunked encode + package (real ffmpeg and shaka packager)', () => {
  let dir: string;
  let source: string;
  const packaged: { init: string; segment: string }[] = [];

  async function encodeChunk(segment: SegmentSpec, output: string, rendition = r360): Promise<string> {
    await runProcess('ffmpeg', buildSegmentEncodeArgs({ input: source, output, segment, fps: FPS, rendition, accel: 'cpu', sourceHdr: rendition.hdr ? 'pq' : undefined }), {
      cwd: dir,
      timeoutMs: 60_000,
    });
    return output;
  }

  beforeAll(async () => {
    dir = await makeTempDir('chunks');
    source = await makeClip(join(dir, 'source.mp4'));
    for (const segment of chunks) {
      const encoded = await encodeChunk(segment, join(dir, `chunk${segment.index}.mp4`));
      packaged.push(await packageVideoChunk({ input: encoded, initOut: join(dir, `init${segment.index}.mp4`), segmentOut: join(dir, `seg${segment.index}.m4s`) }));
    }
  });

  afterAll(() => removeDir(dir));

  it('produces byte-identical init segments for different chunks', async () => {
    const [a, b] = await Promise.all(packaged.map((p) => readFile(p.init)));
    expect(a.equals(b)).toBe(true);
    expect(readInitFacts(a)).toMatchObject({ codecs: expect.stringMatching(/^avc1\.64[0-9a-f]{4}$/), width: 640, height: 360, trackId: 1, handler: 'vide' });
  });

  it('places each segment at start x timescale exactly, with durations summing to 6 s', async () => {
    const { timescale } = readInitFacts(await readFile(packaged[0].init));
    const facts = await Promise.all(packaged.map(async (p) => readSegmentFacts(await readFile(p.segment))));
    expect(facts[0]).toEqual({ baseDecodeTime: 0, duration: 4 * timescale, sampleCount: 120 });
    expect(facts[1]).toEqual({ baseDecodeTime: 4 * timescale, duration: 2 * timescale, sampleCount: 60 });
    expect(facts[0].duration + facts[1].duration).toBe(6 * timescale);
    // Contiguous: the second chunk starts where the first ends.
    expect(facts[1].baseDecodeTime).toBe(facts[0].baseDecodeTime + facts[0].duration);
  });

  it('joins init + seg0 + seg1 into a stream with all 180 frames', async () => {
    const joined = join(dir, 'joined.mp4');
    await writeFile(joined, Buffer.concat(await Promise.all([packaged[0].init, packaged[0].segment, packaged[1].segment].map((p) => readFile(p)))));
    expect(await countVideoFrames(joined)).toBe(180);
  });

  it('re-encodes and re-packages the same chunk to identical bytes', async () => {
    const again = await encodeChunk(chunks[1], join(dir, 'chunk1-again.mp4'));
    expect((await readFile(again)).equals(await readFile(join(dir, 'chunk1.mp4')))).toBe(true);
    const repackaged = await packageVideoChunk({ input: again, initOut: join(dir, 'init1-again.mp4'), segmentOut: join(dir, 'seg1-again.m4s') });
    expect((await readFile(repackaged.segment)).equals(await readFile(packaged[1].segment))).toBe(true);
    expect((await readFile(repackaged.init)).equals(await readFile(packaged[1].init))).toBe(true);
  });

  it('encodes a deterministic 10-bit HEVC HDR chunk with an hvc1 codecs string', async () => {
    const hdr: RenditionSpec = { name: 'hdr-test', codec: 'hevc', width: 320, height: 180, bitrateKbps: 400, hdr: true };
    const segment: SegmentSpec = { index: 1, startFrame: 60, frameCount: 15, startSec: 2, durationSec: 0.5, gopAligned: true };
    const a = await encodeChunk(segment, join(dir, 'hevc-a.mp4'), hdr);
    const b = await encodeChunk(segment, join(dir, 'hevc-b.mp4'), hdr);
    expect((await readFile(a)).equals(await readFile(b))).toBe(true);

    const out = await packageVideoChunk({ input: a, initOut: join(dir, 'hevc-init.mp4'), segmentOut: join(dir, 'hevc-seg.m4s') });
    const init = readInitFacts(await readFile(out.init));
    // Main 10: profile 2, compatibility flag 2 set (reversed: 4), main tier.
    expect(init.codecs).toMatch(/^hvc1\.2\.4\.L\d+(\.[0-9A-F]{1,2})*$/);
    expect(readSegmentFacts(await readFile(out.segment))).toEqual({ baseDecodeTime: 2 * init.timescale, duration: init.timescale / 2, sampleCount: 15 });

    // x265 puts its settings SEI into hvcC; it must not vary with the chunk either.
    const first: SegmentSpec = { index: 0, startFrame: 0, frameCount: 30, startSec: 0, durationSec: 1, gopAligned: true };
    const other = await packageVideoChunk({
      input: await encodeChunk(first, join(dir, 'hevc-c.mp4'), hdr),
      initOut: join(dir, 'hevc-init-c.mp4'),
      segmentOut: join(dir, 'hevc-seg-c.m4s'),
    });
    expect((await readFile(other.init)).equals(await readFile(out.init))).toBe(true);
  });

  it('packages whole-file AAC into an init and ~2 s segments covering ~6 s', async () => {
    const encoded = join(dir, 'audio.mp4');
    await runProcess('ffmpeg', buildAudioEncodeArgs({ input: source, output: encoded }), { timeoutMs: 60_000 });
    const out = await packageAudio({ input: encoded, outDir: join(dir, 'audio'), segmentSec: 2 });

    const init = readInitFacts(await readFile(out.init));
    expect(init).toMatchObject({ codecs: 'mp4a.40.2', timescale: 48000, sampleRate: 48000, channels: 2, handler: 'soun' });

    expect(out.segments.length).toBeGreaterThanOrEqual(3);
    const facts = await Promise.all(out.segments.map(async (p) => readSegmentFacts(await readFile(p))));
    let expectedStart = 0;
    for (const f of facts) {
      expect(f.baseDecodeTime).toBe(expectedStart);
      expectedStart += f.duration;
    }
    expect(expectedStart / init.timescale).toBeCloseTo(6, 1);
  });

  it('refuses to package audio into a directory that already has segments', async () => {
    await expect(packageAudio({ input: join(dir, 'audio.mp4'), outDir: join(dir, 'audio'), segmentSec: 2 })).rejects.toThrow(/already contains segments/);
  });

  it('surfaces ffmpeg failures as ProcessError with the stderr tail', async () => {
    const run = runProcess('ffmpeg', buildAudioEncodeArgs({ input: join(dir, 'missing.mp4'), output: join(dir, 'x.mp4') }), { timeoutMs: 30_000 });
    await expect(run).rejects.toBeInstanceOf(ProcessError);
    await expect(run).rejects.toMatchObject({ command: 'ffmpeg', kind: 'exit', stderrTail: [expect.stringContaining('No such file')] });
  });

  it('identifies the encoder build and caches it', async () => {
    const first = encoderBuild();
    expect(encoderBuild()).toBe(first);
    expect(await first).toMatch(/^ffmpeg version \S+; packager version v3\.4\.2/);
  });
});

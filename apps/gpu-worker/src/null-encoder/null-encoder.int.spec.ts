import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { framesToSec } from '@airlock/domain';
import { packageAudio, packageVideoChunk, readInitFacts, readSegmentFacts } from '@airlock/media';
import { NullEncoder, videoTiming } from './null-encoder';

/**
 * The null encoder's chunks go through the real packager and come out with the facts the
 * verifier checks against the plan: tfdt at the segment's start, its frame count and duration.
 */
describe('NullEncoder (real packager)', () => {
  let encoder: NullEncoder;
  let dir: string;

  beforeAll(async () => {
    encoder = await NullEncoder.prepare();
    dir = await mkdtemp(join(tmpdir(), 'null-encoder-spec-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['h264 30 fps', { num: 30, den: 1 }, { name: '720p', codec: 'h264' as const, hdr: false }, 'avc1'],
    ['hevc 30000/1001', { num: 30000, den: 1001 }, { name: '2160p', codec: 'hevc' as const, hdr: false }, 'hvc1'],
    ['hevc hdr 24000/1001', { num: 24000, den: 1001 }, { name: '2160p_hdr', codec: 'hevc' as const, hdr: true }, 'hvc1'],
  ])('writes a %s chunk the packager takes and the plan checks accept', async (label, fps, rendition, codecPrefix) => {
    const inits = new Set<string>();
    for (const segment of [
      { index: 0, startFrame: 0, frameCount: 48 },
      { index: 3, startFrame: 300, frameCount: 61 },
    ]) {
      const base = join(dir, `${label.replace(/\W/g, '')}-${segment.index}`);
      expect(await encoder.segment({ segment, fps, rendition }, `${base}.mp4`)).toBe('null');
      await packageVideoChunk({ input: `${base}.mp4`, initOut: `${base}-init.mp4`, segmentOut: `${base}.m4s` });
      const init = await readFile(`${base}-init.mp4`);
      inits.add(init.toString('hex'));
      const facts = readInitFacts(init);
      const seg = readSegmentFacts(await readFile(`${base}.m4s`));
      expect(facts.codecs.startsWith(codecPrefix)).toBe(true);
      expect(facts.timescale).toBe(videoTiming(fps).timescale);
      expect(seg.sampleCount).toBe(segment.frameCount);
      expect(Math.abs(seg.baseDecodeTime - Math.round(framesToSec(segment.startFrame, fps) * facts.timescale))).toBeLessThanOrEqual(1);
      expect(Math.abs(seg.duration - Math.round(framesToSec(segment.frameCount, fps) * facts.timescale))).toBeLessThanOrEqual(1);
    }
    // Every chunk of a rendition shares one init (the verifier's init_mismatch check).
    expect(inits.size).toBe(1);
  });

  it('writes whole-file audio the packager cuts into segments', async () => {
    const input = join(dir, 'audio.mp4');
    await encoder.audio(13, input);
    const packaged = await packageAudio({ input, outDir: join(dir, 'audio'), segmentSec: 6 });
    expect(readInitFacts(await readFile(packaged.init)).codecs).toBe('mp4a.40.2');
    expect(packaged.segments.length).toBeGreaterThanOrEqual(2);
  });

  it.each(['poster', 'animated', 'mp4'] as const)('writes a small %s file', async (kind) => {
    const out = join(dir, `file-${kind}`);
    await encoder.file(kind, out);
    expect((await stat(out)).size).toBeGreaterThan(0);
    expect((await stat(out)).size).toBeLessThan(10_000);
  });
});

describe('NullEncoder model (scale benchmarks)', () => {
  it('answers the modelled probe and sleeps the modelled time per rendition', async () => {
    const probe = { formatName: 'mp4', durationSec: 3600, sizeBytes: 1, video: undefined, audio: undefined };
    const encoder = await NullEncoder.prepare({ probe, delayMs: { '2160p': 300, '*': 0 } });
    expect(encoder.probe).toMatchObject({ durationSec: 3600 });
    const dir = await mkdtemp(join(tmpdir(), 'null-encoder-model-'));
    try {
      const segment = { index: 0, startFrame: 0, frameCount: 2 };
      const fps = { num: 30, den: 1 };
      let t = Date.now();
      await encoder.segment({ segment, fps, rendition: { name: '2160p', codec: 'hevc', hdr: false } }, join(dir, 'a.mp4'));
      expect(Date.now() - t).toBeGreaterThanOrEqual(290);
      t = Date.now();
      await encoder.segment({ segment, fps, rendition: { name: '240p', codec: 'h264', hdr: false } }, join(dir, 'b.mp4'));
      expect(Date.now() - t).toBeLessThan(290);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a delay that is not a number', async () => {
    await expect(NullEncoder.prepare({ delayMs: { '240p': 'soon' } })).rejects.toThrow('NULL_ENCODER_DELAY_MS: 240p');
  });
});

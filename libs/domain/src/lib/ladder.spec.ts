import { planLadder, renditionSize, SourceVideo } from './ladder';
import { DEFAULT_LADDER, VIDEO_PROFILES } from './profiles';

const sdr = (width: number, height: number): SourceVideo => ({ width, height, hdr: false });
const hdr = (width: number, height: number): SourceVideo => ({ width, height, hdr: true });

const isEven = (n: number) => n % 2 === 0;

describe('renditionSize', () => {
  it('scales a landscape source so its height is the short side', () => {
    expect(renditionSize(sdr(1920, 1080), 720)).toEqual({ width: 1280, height: 720 });
    expect(renditionSize(sdr(1920, 1080), 1080)).toEqual({ width: 1920, height: 1080 });
  });

  it('scales a portrait source so its width is the short side', () => {
    expect(renditionSize(sdr(1080, 1920), 720)).toEqual({ width: 720, height: 1280 });
    expect(renditionSize(sdr(1080, 1920), 360)).toEqual({ width: 360, height: 640 });
  });

  it('treats a square source as landscape', () => {
    expect(renditionSize(sdr(1000, 1000), 240)).toEqual({ width: 240, height: 240 });
  });

  it('rounds to even dimensions, never below 2', () => {
    const size = renditionSize(sdr(1278, 718), 240);
    expect(size).toEqual({ width: 428, height: 240 });
    expect(renditionSize(sdr(1000, 4), 1)).toEqual({ width: 250, height: 2 });
  });
});

describe('planLadder', () => {
  it('never upscales: a 720p source gets 240p, 360p and 720p, and 1080p is skipped', () => {
    const decision = planLadder(sdr(1280, 720), DEFAULT_LADDER);

    expect(decision.renditions.map((r) => r.name)).toEqual(['240p', '360p', '720p']);
    expect(decision.renditions.map((r) => [r.width, r.height])).toEqual([
      [426, 240],
      [640, 360],
      [1280, 720],
    ]);
    expect(decision.skipped).toEqual([{ name: '1080p', reason: 'would_upscale' }]);
  });

  it('copies codec, bitrate and hdr from the profile', () => {
    const [r] = planLadder(sdr(1920, 1080), ['720p']).renditions;
    expect(r).toEqual({ name: '720p', codec: 'h264', bitrateKbps: 2800, hdr: false, width: 1280, height: 720 });
  });

  it('uses short-side semantics for portrait sources', () => {
    const decision = planLadder(sdr(1080, 1920), DEFAULT_LADDER);

    expect(decision.skipped).toEqual([]);
    expect(decision.renditions.map((r) => [r.name, r.width, r.height])).toEqual([
      ['240p', 240, 426],
      ['360p', 360, 640],
      ['720p', 720, 1280],
      ['1080p', 1080, 1920],
    ]);
  });

  it('gives an odd-sized source (1278x718) even output dimensions within the source', () => {
    const source = sdr(1278, 718);
    const decision = planLadder(source, DEFAULT_LADDER);

    expect(decision.renditions.map((r) => r.name)).toEqual(['240p', '360p']);
    expect(decision.skipped).toEqual([
      { name: '720p', reason: 'would_upscale' },
      { name: '1080p', reason: 'would_upscale' },
    ]);
    for (const r of decision.renditions) {
      expect(isEven(r.width)).toBe(true);
      expect(isEven(r.height)).toBe(true);
      expect(r.width).toBeLessThanOrEqual(source.width);
      expect(r.height).toBeLessThanOrEqual(source.height);
    }
  });

  it('skips HDR profiles for an SDR source', () => {
    const decision = planLadder(sdr(3840, 2160), ['1080p_hdr', '1080p', '2160p_hdr']);

    expect(decision.renditions.map((r) => r.name)).toEqual(['1080p']);
    expect(decision.skipped).toEqual([
      { name: '1080p_hdr', reason: 'source_not_hdr' },
      { name: '2160p_hdr', reason: 'source_not_hdr' },
    ]);
  });

  it('keeps HDR profiles for an HDR source, ordered by size then bitrate', () => {
    const decision = planLadder(hdr(3840, 2160), ['2160p_hdr', '1080p_hdr', '1080p', '720p']);

    expect(decision.renditions.map((r) => [r.name, r.hdr])).toEqual([
      ['720p', false],
      ['1080p', false],
      ['1080p_hdr', true],
      ['2160p_hdr', true],
    ]);
    expect(decision.skipped).toEqual([]);
  });

  it('reports unknown profiles and still plans the known ones', () => {
    const decision = planLadder(sdr(1920, 1080), ['720p', '4k', 'bogus']);

    expect(decision.renditions.map((r) => r.name)).toEqual(['720p']);
    expect(decision.skipped).toEqual([
      { name: '4k', reason: 'unknown_profile' },
      { name: 'bogus', reason: 'unknown_profile' },
    ]);
  });

  it('gives a tiny 160x120 source one rung at its own size', () => {
    const decision = planLadder(sdr(160, 120), DEFAULT_LADDER);

    expect(decision.renditions).toEqual([
      // 240p's bitrate scaled to 120 lines.
      { name: '240p', codec: 'h264', bitrateKbps: 200, hdr: false, width: 160, height: 120 },
    ]);
    // The rung it fell back to is no longer reported as skipped.
    expect(decision.skipped).toEqual([
      { name: '360p', reason: 'would_upscale' },
      { name: '720p', reason: 'would_upscale' },
      { name: '1080p', reason: 'would_upscale' },
    ]);
  });

  it('plans nothing when only unknown or unusable HDR profiles are requested', () => {
    expect(planLadder(sdr(160, 120), ['nope', '1080p_hdr']).renditions).toEqual([]);
  });

  it('returns renditions sorted ascending whatever the request order', () => {
    const decision = planLadder(sdr(1920, 1080), ['1080p', '240p', '720p', '480p', '360p']);

    expect(decision.renditions.map((r) => r.name)).toEqual(['240p', '360p', '480p', '720p', '1080p']);
    const heights = decision.renditions.map((r) => r.height);
    expect([...heights].sort((a, b) => a - b)).toEqual(heights);
  });

  it('plans every profile for a large HDR source and never exceeds it', () => {
    const source = hdr(3840, 2160);
    const decision = planLadder(
      source,
      VIDEO_PROFILES.map((p) => p.name),
    );

    expect(decision.renditions).toHaveLength(VIDEO_PROFILES.length);
    for (const r of decision.renditions) {
      expect(r.width).toBeLessThanOrEqual(source.width);
      expect(r.height).toBeLessThanOrEqual(source.height);
    }
  });

  it('never exceeds an odd source by rounding up (1281x720 -> 720p is 1280x720)', () => {
    expect(planLadder(sdr(1281, 720), ['720p']).renditions[0]).toMatchObject({ width: 1280, height: 720 });
    expect(planLadder(sdr(161, 121), ['240p']).renditions[0]).toMatchObject({ width: 160, height: 120 });
  });

  it('falls back to the smallest requested rung, whatever the request order', () => {
    const { renditions, skipped } = planLadder(sdr(160, 120), ['1080p', '240p']);
    expect(renditions.map((r) => r.name)).toEqual(['240p']);
    expect(renditions[0].bitrateKbps).toBe(200);
    expect(skipped.map((s) => s.name)).toEqual(['1080p']);
  });

  it('plans a repeated profile once', () => {
    expect(planLadder(sdr(1920, 1080), ['720p', '720p']).renditions.map((r) => r.name)).toEqual(['720p']);
  });
});

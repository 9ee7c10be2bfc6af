import { Probe, probeSchema, VideoProbe } from '@airlock/contracts';
import { DEFAULT_SEGMENT_RULES, fpsValue } from '@airlock/domain';
import { outputFps, planMedia, PlanSettings } from './media-plan';

const SETTINGS: PlanSettings = { shortLaneMaxSec: 60 };

interface ProbeOptions {
  readonly durationSec?: number;
  readonly width?: number;
  readonly height?: number;
  readonly fps?: VideoProbe['fps'];
  readonly hdr?: VideoProbe['hdr'];
  readonly rotation?: number;
  readonly keyframeEverySec?: number;
  readonly audio?: boolean;
  readonly video?: boolean;
}

/** A schema-valid probe: 12 s 1920x1080 30 fps with audio and a keyframe every 2 s unless told otherwise. */
function buildProbe(options: ProbeOptions = {}): Probe {
  const durationSec = options.durationSec ?? 12;
  const fps = options.fps ?? { num: 30, den: 1 };
  const every = options.keyframeEverySec ?? 2;
  const keyframeTimes: number[] = [];
  for (let t = 0; t < durationSec; t += every) keyframeTimes.push(t);
  const probe: Probe = {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec,
    sizeBytes: 4_000_000,
    video:
      options.video === false
        ? undefined
        : {
            codec: 'h264',
            width: options.width ?? 1920,
            height: options.height ?? 1080,
            rotation: options.rotation ?? 0,
            fps,
            variableFrameRate: false,
            hdr: options.hdr ?? 'none',
            durationSec,
            frameCount: Math.round((durationSec * fps.num) / fps.den),
            keyframeTimes,
          },
    audio: options.audio === false ? undefined : { codec: 'aac', channels: 2, sampleRate: 48000, durationSec },
  };
  return probeSchema.parse(probe);
}

describe('outputFps', () => {
  it('keeps rates up to 60 fps', () => {
    expect(outputFps({ num: 30, den: 1 })).toEqual({ num: 30, den: 1 });
    expect(outputFps({ num: 60, den: 1 })).toEqual({ num: 60, den: 1 });
    expect(outputFps({ num: 60000, den: 1001 })).toEqual({ num: 60000, den: 1001 });
  });

  it('puts variable-rate sources on a constant 30 or 60 fps grid', () => {
    expect(outputFps({ num: 59, den: 4 }, true)).toEqual({ num: 30, den: 1 });
    expect(outputFps({ num: 30, den: 1 }, true)).toEqual({ num: 30, den: 1 });
    expect(outputFps({ num: 48, den: 1 }, true)).toEqual({ num: 60, den: 1 });
  });

  it('halves until at most 60 fps', () => {
    expect(fpsValue(outputFps({ num: 120, den: 1 }))).toBe(60);
    expect(fpsValue(outputFps({ num: 240, den: 1 }))).toBe(60);
    expect(fpsValue(outputFps({ num: 120000, den: 1001 }))).toBeCloseTo(59.94, 2);
  });
});

describe('planMedia', () => {
  it('plans a 12 s 1080p clip with audio: short lane, 4 renditions, 2 segments, audio', () => {
    const plan = planMedia(buildProbe(), [], SETTINGS);

    expect(plan.lane).toBe('short');
    expect(plan.fps).toEqual({ num: 30, den: 1 });
    expect(plan.renditions.map((r) => [r.name, r.width, r.height])).toEqual([
      ['240p', 426, 240],
      ['360p', 640, 360],
      ['720p', 1280, 720],
      ['1080p', 1920, 1080],
    ]);
    expect(plan.skipped).toEqual([]);
    expect(plan.segments).toEqual([
      { index: 0, startFrame: 0, frameCount: 180, startSec: 0, durationSec: 6, gopAligned: true },
      { index: 1, startFrame: 180, frameCount: 180, startSec: 6, durationSec: 6, gopAligned: true },
    ]);
    expect(plan.audio).toBe(true);
  });

  it('puts a 90 s clip in the long lane', () => {
    const plan = planMedia(buildProbe({ durationSec: 90 }), [], { shortLaneMaxSec: 60 });

    expect(plan.lane).toBe('long');
    expect(plan.segments.reduce((n, s) => n + s.frameCount, 0)).toBe(2700);
  });

  it('follows the configured short lane limit', () => {
    expect(planMedia(buildProbe({ durationSec: 90 }), [], { shortLaneMaxSec: 120 }).lane).toBe('short');
  });

  it('caps a 120 fps source at 60 fps and plans frames on the output grid', () => {
    const plan = planMedia(buildProbe({ fps: { num: 120, den: 1 } }), [], SETTINGS);

    expect(fpsValue(plan.fps)).toBe(60);
    expect(plan.segments.reduce((n, s) => n + s.frameCount, 0)).toBe(12 * 60);
    expect(plan.segments.map((s) => s.startSec)).toEqual([0, 6]);
  });

  it('plans no video for an audio-only probe', () => {
    const plan = planMedia(buildProbe({ video: false }), ['720p'], SETTINGS);

    expect(plan).toMatchObject({ renditions: [], segments: [], skipped: [], audio: true, lane: 'short' });
  });

  it('reports no audio for a silent video', () => {
    expect(planMedia(buildProbe({ audio: false }), [], SETTINGS).audio).toBe(false);
  });

  it('uses the requested profiles and reports the skipped ones', () => {
    const plan = planMedia(buildProbe({ width: 1280, height: 720 }), ['720p', '1080p', '1080p_hdr', 'nope'], SETTINGS);

    expect(plan.renditions.map((r) => r.name)).toEqual(['720p']);
    expect(plan.skipped).toEqual([
      { name: '1080p', reason: 'would_upscale' },
      { name: '1080p_hdr', reason: 'source_not_hdr' },
      { name: 'nope', reason: 'unknown_profile' },
    ]);
  });

  it('plans rungs on the displayed shape of a rotated source', () => {
    for (const rotation of [90, 270, -90]) {
      const plan = planMedia(buildProbe({ rotation }), ['720p'], SETTINGS);
      expect(plan.renditions.map((r) => [r.width, r.height])).toEqual([[720, 1280]]);
    }
    const upsideDown = planMedia(buildProbe({ rotation: 180 }), ['720p'], SETTINGS);
    expect(upsideDown.renditions.map((r) => [r.width, r.height])).toEqual([[1280, 720]]);
  });

  it('treats pq and hlg sources as HDR', () => {
    for (const hdr of ['pq', 'hlg'] as const) {
      const plan = planMedia(buildProbe({ hdr }), ['1080p_hdr'], SETTINGS);
      expect(plan.renditions.map((r) => [r.name, r.codec, r.hdr])).toEqual([['1080p_hdr', 'hevc', true]]);
    }
  });

  it('applies custom segment rules', () => {
    const plan = planMedia(buildProbe(), [], { ...SETTINGS, segmentRules: { ...DEFAULT_SEGMENT_RULES, targetSec: 4 } });

    expect(plan.segments.map((s) => s.startSec)).toEqual([0, 4]);
  });

  it('is pure: the same probe gives the same plan', () => {
    expect(planMedia(buildProbe(), [], SETTINGS)).toEqual(planMedia(buildProbe(), [], SETTINGS));
  });
});

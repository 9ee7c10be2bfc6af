import { DEFAULT_SEGMENT_RULES, FrameRate, framesToSec, fpsValue, PlannedSegment, planEqualSegments, planSegments } from './segment-plan';

const FPS_30: FrameRate = { num: 30, den: 1 };
const NTSC: FrameRate = { num: 30000, den: 1001 };

/** Keyframe times every `everySec` seconds from 0 up to (not including) `durationSec`. */
function keyframesEvery(everySec: number, durationSec: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < durationSec; t += everySec) out.push(t);
  return out;
}

function framesOf(durationSec: number, fps: FrameRate): number {
  return Math.round(durationSec * fpsValue(fps));
}

/** The plan covers [0, total) exactly once, in order, with indices 0..n-1. */
function expectContiguous(segments: readonly PlannedSegment[], totalFrames: number): void {
  expect(segments.map((s) => s.index)).toEqual(segments.map((_, i) => i));
  expect(segments[0]?.startFrame).toBe(0);
  for (let i = 1; i < segments.length; i++) {
    expect(segments[i].startFrame).toBe(segments[i - 1].startFrame + segments[i - 1].frameCount);
  }
  expect(segments.reduce((n, s) => n + s.frameCount, 0)).toBe(totalFrames);
}

describe('planSegments', () => {
  it('cuts a 12 s 30 fps clip with keyframes every 2 s at 6 s into two GOP-aligned segments', () => {
    const segments = planSegments(keyframesEvery(2, 12), 360, FPS_30);

    expect(segments).toEqual([
      { index: 0, startFrame: 0, frameCount: 180, startSec: 0, durationSec: 6, gopAligned: true },
      { index: 1, startFrame: 180, frameCount: 180, startSec: 6, durationSec: 6, gopAligned: true },
    ]);
  });

  it('keeps a 10 s clip (exactly maxSec) in one segment', () => {
    const segments = planSegments(keyframesEvery(2, 10), 300, FPS_30);

    expect(segments).toEqual([{ index: 0, startFrame: 0, frameCount: 300, startSec: 0, durationSec: 10, gopAligned: true }]);
  });

  it('plans nothing for an empty source', () => {
    expect(planSegments([0], 0, FPS_30)).toEqual([]);
  });

  it('keeps every segment of a 60 s clip between minSec and maxSec and covers every frame once', () => {
    const total = framesOf(60, FPS_30);
    const segments = planSegments(keyframesEvery(2, 60), total, FPS_30);

    expect(segments.length).toBeGreaterThan(1);
    for (const s of segments) {
      expect(s.durationSec).toBeGreaterThanOrEqual(DEFAULT_SEGMENT_RULES.minSec);
      expect(s.durationSec).toBeLessThanOrEqual(DEFAULT_SEGMENT_RULES.maxSec);
      expect(s.gopAligned).toBe(true);
      // Every cut sits on a source keyframe (every 60 frames).
      expect(s.startFrame % 60).toBe(0);
    }
    expectContiguous(segments, total);
  });

  it('cuts at the target and marks cuts not GOP-aligned when the source has a single keyframe at 0', () => {
    const total = framesOf(20, FPS_30);
    const segments = planSegments([0], total, FPS_30);

    expect(segments.map((s) => s.startFrame)).toEqual([0, 180, 360]);
    expect(segments.map((s) => s.gopAligned)).toEqual([true, false, false]);
    expect(segments.map((s) => s.durationSec)).toEqual([6, 6, 240 / 30]);
    expectContiguous(segments, total);
  });

  it('prefers the keyframe nearest the target inside the allowed window', () => {
    // Keyframes at 5 s and 9 s: 5 s is nearer the 6 s target.
    const segments = planSegments([0, 5, 9], framesOf(15, FPS_30), FPS_30);

    expect(segments[1]).toMatchObject({ startFrame: 150, startSec: 5, gopAligned: true });
  });

  it('ignores keyframes outside the window, duplicates and keyframes past the end', () => {
    // 1 s is below minSec, 11 s above maxSec, 40 s beyond the clip; 6 s is listed twice.
    const segments = planSegments([0, 1, 6, 6.0001, 11, 40], framesOf(12, FPS_30), FPS_30);

    expect(segments.map((s) => [s.startFrame, s.gopAligned])).toEqual([
      [0, true],
      [180, true],
    ]);
  });

  it('never leaves a remainder shorter than minSec', () => {
    const minF = framesOf(DEFAULT_SEGMENT_RULES.minSec, FPS_30);
    const maxF = framesOf(DEFAULT_SEGMENT_RULES.maxSec, FPS_30);
    const keyframePatterns: ((sec: number) => number[])[] = [
      () => [0],
      (sec) => keyframesEvery(2, sec),
      (sec) => keyframesEvery(9.5, sec),
      // A keyframe just before the end tempts the planner to leave a tiny tail.
      (sec) => [0, sec - 0.5, sec - 1],
    ];
    for (let total = minF; total <= 75 * 30; total += 37) {
      for (const pattern of keyframePatterns) {
        const segments = planSegments(pattern(total / 30), total, FPS_30);
        expectContiguous(segments, total);
        for (const s of segments) {
          expect(s.frameCount).toBeGreaterThanOrEqual(minF);
          expect(s.frameCount).toBeLessThanOrEqual(maxF);
        }
      }
    }
  });

  it('skips a keyframe that would leave a tail shorter than minSec', () => {
    // 11 s = 330 frames; a cut on the 9.5 s keyframe would leave a 1.5 s tail.
    const segments = planSegments([0, 9.5], 330, FPS_30);

    expect(segments.map((s) => [s.frameCount, s.gopAligned])).toEqual([
      [180, true],
      [150, false],
    ]);
  });

  it('keeps a source shorter than minSec in one segment', () => {
    expect(planSegments([0], 45, FPS_30)).toEqual([
      { index: 0, startFrame: 0, frameCount: 45, startSec: 0, durationSec: 1.5, gopAligned: true },
    ]);
  });

  it('honours custom rules', () => {
    const rules = { minSec: 1, maxSec: 4, targetSec: 2 };
    const total = framesOf(9, FPS_30);
    const segments = planSegments([0], total, FPS_30, rules);

    expect(segments.map((s) => s.frameCount)).toEqual([60, 60, 60, 90]);
    expectContiguous(segments, total);
  });

  it('keeps 29.97 fps start times and durations exact to the frame grid', () => {
    const durationSec = 61;
    const total = framesOf(durationSec, NTSC);
    const segments = planSegments(keyframesEvery(2.002, durationSec), total, NTSC);

    expect(total).toBe(1828);
    expectContiguous(segments, total);
    for (const s of segments) {
      expect(Number.isInteger(s.startFrame)).toBe(true);
      expect(s.startSec).toBe((s.startFrame * 1001) / 30000);
      expect(s.durationSec).toBe((s.frameCount * 1001) / 30000);
      expect(s.startSec).toBe(framesToSec(s.startFrame, NTSC));
      // Back to frames without drift.
      expect(Math.abs(s.startSec * fpsValue(NTSC) - s.startFrame)).toBeLessThan(1e-6);
      expect(s.gopAligned).toBe(true);
      expect(s.durationSec).toBeGreaterThanOrEqual(DEFAULT_SEGMENT_RULES.minSec);
      expect(s.durationSec).toBeLessThanOrEqual(DEFAULT_SEGMENT_RULES.maxSec);
    }
    // Keyframes at 6.006 s multiples land on whole frames (180 frames of 1001/30000 s).
    expect(segments[1].startFrame).toBe(180);
    expect(segments[1].startSec).toBe(6.006);
  });
});

describe('planEqualSegments', () => {
  it('cuts 6 s into two chunks of 3 s, not at the 2 s and 4 s keyframes', () => {
    const segments = planEqualSegments(keyframesEvery(2, 10), 180, FPS_30, 3);
    expect(segments.map((s) => [s.startFrame, s.frameCount, s.gopAligned])).toEqual([
      [0, 90, true],
      [90, 90, false],
    ]);
    expectContiguous(segments, 180);
  });

  it('moves a cut onto a keyframe within a tenth of a chunk', () => {
    const segments = planEqualSegments([0, 3.2], 180, FPS_30, 3);
    expect(segments.map((s) => [s.startSec, s.gopAligned])).toEqual([
      [0, true],
      [3.2, true],
    ]);
  });

  it('makes as many chunks as targets fit, rounded, all of one length', () => {
    expect(planEqualSegments([0], 120, FPS_30, 3).map((s) => s.frameCount)).toEqual([120]);
    expect(planEqualSegments([0], 150, FPS_30, 3).map((s) => s.frameCount)).toEqual([75, 75]);
    expect(planEqualSegments([0], 300, FPS_30, 3).map((s) => s.frameCount)).toEqual([100, 100, 100]);
    const ntsc = planEqualSegments([0], 180, NTSC, 3);
    expect(ntsc.map((s) => s.frameCount)).toEqual([90, 90]);
    expectContiguous(ntsc, 180);
  });

  it('plans nothing for an empty source', () => {
    expect(planEqualSegments([0], 0, FPS_30, 3)).toEqual([]);
  });
});

describe('framesToSec / fpsValue', () => {
  it('convert rational frame rates', () => {
    expect(fpsValue(NTSC)).toBeCloseTo(29.97, 2);
    expect(framesToSec(30000, NTSC)).toBe(1001);
    expect(framesToSec(45, FPS_30)).toBe(1.5);
  });
});

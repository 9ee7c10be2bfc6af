export interface FrameRate {
  readonly num: number;
  readonly den: number;
}

export interface PlannedSegment {
  readonly index: number;
  readonly startFrame: number;
  readonly frameCount: number;
  readonly startSec: number;
  readonly durationSec: number;
  /** True when the cut sits on a source keyframe (a stream-copy boundary). */
  readonly gopAligned: boolean;
}

export interface SegmentRules {
  readonly minSec: number;
  readonly maxSec: number;
  readonly targetSec: number;
}

export const DEFAULT_SEGMENT_RULES: SegmentRules = { minSec: 2, maxSec: 10, targetSec: 6 };

export const fpsValue = (fps: FrameRate) => fps.num / fps.den;
export const framesToSec = (frames: number, fps: FrameRate) => (frames * fps.den) / fps.num;

/**
 * Cut a video into segments of minSec..maxSec on the output frame grid, preferring
 * source keyframes near targetSec. Where the source has no keyframe in the window the
 * cut falls at the target and is marked not GOP-aligned (the encode still starts
 * with an IDR, only the input seek decodes a little more).
 */
export function planSegments(
  keyframeTimes: readonly number[],
  totalFrames: number,
  fps: FrameRate,
  rules: SegmentRules = DEFAULT_SEGMENT_RULES,
): PlannedSegment[] {
  if (totalFrames <= 0) return [];
  const perSec = fpsValue(fps);
  const toFrame = (sec: number) => Math.round(sec * perSec);
  const minF = Math.max(1, toFrame(rules.minSec));
  const maxF = Math.max(minF, toFrame(rules.maxSec));
  const targetF = Math.min(maxF, Math.max(minF, toFrame(rules.targetSec)));
  const keyframes = [...new Set(keyframeTimes.map(toFrame))].filter((f) => f > 0 && f < totalFrames).sort((a, b) => a - b);

  const cuts: { frame: number; aligned: boolean }[] = [{ frame: 0, aligned: true }];
  let start = 0;
  while (totalFrames - start > maxF) {
    const lo = start + minF;
    const hi = Math.min(start + maxF, totalFrames - minF);
    const ideal = Math.min(hi, Math.max(lo, start + targetF));
    const best = nearestIn(keyframes, lo, hi, ideal);
    const cut = best ?? ideal;
    cuts.push({ frame: cut, aligned: best !== undefined });
    start = cut;
  }

  return segmentsAt(cuts, totalFrames, fps);
}

/**
 * Cut `totalFrames` into chunks of about `targetSec`, all of the same length: chunks encoded
 * side by side are done when the longest is, so equal beats keyframe-aligned here. A cut moves
 * onto a source keyframe only when one lies within a tenth of a chunk; otherwise the encode of
 * the chunk after it seeks from the keyframe before.
 */
export function planEqualSegments(keyframeTimes: readonly number[], totalFrames: number, fps: FrameRate, targetSec: number): PlannedSegment[] {
  if (totalFrames <= 0) return [];
  const perSec = fpsValue(fps);
  const count = Math.max(1, Math.round(totalFrames / perSec / targetSec));
  const chunk = totalFrames / count;
  const keyframes = keyframeTimes.map((t) => Math.round(t * perSec));
  const cuts = [{ frame: 0, aligned: true }];
  for (let i = 1; i < count; i += 1) {
    const ideal = Math.round(i * chunk);
    const near = nearestIn(keyframes, ideal - chunk / 10, ideal + chunk / 10, ideal);
    cuts.push({ frame: near ?? ideal, aligned: near !== undefined });
  }
  return segmentsAt(cuts, totalFrames, fps);
}

/** The keyframe in [lo, hi] nearest `ideal` (the first listed on a tie), if any. */
function nearestIn(keyframes: readonly number[], lo: number, hi: number, ideal: number): number | undefined {
  return keyframes.filter((k) => k >= lo && k <= hi).sort((a, b) => Math.abs(a - ideal) - Math.abs(b - ideal))[0];
}

function segmentsAt(cuts: readonly { frame: number; aligned: boolean }[], totalFrames: number, fps: FrameRate): PlannedSegment[] {
  return cuts.map((c, index) => {
    const frameCount = (cuts[index + 1]?.frame ?? totalFrames) - c.frame;
    return { index, startFrame: c.frame, frameCount, startSec: framesToSec(c.frame, fps), durationSec: framesToSec(frameCount, fps), gopAligned: c.aligned };
  });
}

import { Probe, RenditionSpec, SegmentSpec } from '@airlock/contracts';
import { DEFAULT_PROFILES, Lane, laneFor, LadderDecision, planLadder, planSegments, SegmentRules, DEFAULT_SEGMENT_RULES, FrameRate } from '@airlock/domain';

export interface MediaPlan {
  readonly lane: Lane;
  readonly fps: FrameRate;
  readonly renditions: RenditionSpec[];
  readonly skipped: LadderDecision['skipped'];
  readonly segments: SegmentSpec[];
  readonly audio: boolean;
  /** Set for HDR sources: HDR rungs keep it, SDR rungs are tone-mapped. */
  readonly sourceHdr?: 'pq' | 'hlg';
}

export interface PlanSettings {
  readonly shortLaneMaxSec: number;
  readonly segmentRules?: SegmentRules;
}

/**
 * Output frame rate, always constant: the source's, halved while above 60 fps (chat video
 * never needs more). A variable-rate source (screen recordings, phones saving power) has no
 * rate of its own, only an average: it gets 30 fps, or 60 when it averages above 30, and
 * ffmpeg's fps filter repeats or drops frames onto that grid.
 */
export function outputFps(fps: FrameRate, variable = false): FrameRate {
  if (variable) return { num: fps.num / fps.den > 30.5 ? 60 : 30, den: 1 };
  let den = fps.den;
  while (fps.num / den > 60.01) den *= 2;
  return { num: fps.num, den };
}

/** Probe + requested profiles -> everything the flow needs. Pure: no clock, no ids, no IO. */
export function planMedia(probe: Probe, requestedProfiles: readonly string[], settings: PlanSettings): MediaPlan {
  const lane = laneFor(probe.durationSec, settings.shortLaneMaxSec);
  const audio = probe.audio !== undefined;
  const video = probe.video;
  if (!video) return { lane, fps: { num: 25, den: 1 }, renditions: [], skipped: [], segments: [], audio };

  const fps = outputFps(video.fps, video.variableFrameRate);
  const profiles = requestedProfiles.length > 0 ? requestedProfiles : DEFAULT_PROFILES;
  // FFmpeg bakes the display rotation into the pixels, so rungs follow the displayed shape.
  const quarterTurn = video.rotation % 180 !== 0;
  const displayed = quarterTurn ? { width: video.height, height: video.width } : { width: video.width, height: video.height };
  const ladder = planLadder({ ...displayed, hdr: video.hdr !== 'none' }, profiles);
  const totalFrames = Math.max(1, Math.round((video.durationSec * fps.num) / fps.den));
  const segments = planSegments(video.keyframeTimes, totalFrames, fps, settings.segmentRules ?? DEFAULT_SEGMENT_RULES);
  return { lane, fps, renditions: ladder.renditions, skipped: ladder.skipped, segments, audio, ...(video.hdr === 'none' ? {} : { sourceHdr: video.hdr }) };
}

import { isHeavyRendition } from './profiles';

/** Work lanes: separate queues so a long upload never starves short clips (DESIGN section 5). */
export const LANES = ['short', 'long'] as const;
export type Lane = (typeof LANES)[number];

/**
 * Every lane a worker may serve: a media's own lane (by duration) and `gpu`, where heavy
 * rungs go when the deployment says hardware encoders serve it (the orchestrator's GPU_LANE).
 */
export const WORK_LANES = [...LANES, 'gpu'] as const;
export type WorkLane = (typeof WORK_LANES)[number];

/**
 * The lane of one task, decided in this one place: heavy rungs (profiles.ts `cost`) to the
 * gpu lane when it is on, everything else (light rungs, audio, chat files, the preview) to
 * the media's lane. Off by default, so a CPU-only deployment strands nothing.
 */
export function workLaneFor(mediaLane: Lane, rendition: string, gpuLane: boolean): WorkLane {
  return gpuLane && isHeavyRendition(rendition) ? 'gpu' : mediaLane;
}

export const SHORT_LANE_MAX_SEC = 60;

export function laneFor(durationSec: number, shortMaxSec = SHORT_LANE_MAX_SEC): Lane {
  return durationSec <= shortMaxSec ? 'short' : 'long';
}

/**
 * A probe runs before the duration is known: sources up to this size (about a minute of phone
 * video) probe on the short lane, larger ones on the long lane, so a flood of long uploads
 * leaves the short lane to the clips. The plan then puts the media on the lane of its duration.
 */
export const PROBE_SHORT_LANE_MAX_BYTES = 64 * 1024 * 1024;

export function probeLaneFor(sourceBytes: number, shortMaxBytes = PROBE_SHORT_LANE_MAX_BYTES): Lane {
  return sourceBytes <= shortMaxBytes ? 'short' : 'long';
}

/** BullMQ's lowest priority (its largest number). */
const LOWEST_PRIORITY = 2 ** 21;
const PROBE_PRIORITY_UNIT_BYTES = 64 * 1024;

/**
 * A probe waits behind its lane's planned work: BullMQ takes jobs without a priority before
 * prioritized ones, so a lane finishes the media it started before it starts new ones. Among
 * probes, smaller uploads go first, in classes that double in size (1: up to 64 KiB, 2: up to
 * 128 KiB, ...), first come first served within a class.
 */
export function probePriority(sourceBytes: number): number {
  const classes = Math.ceil(Math.log2(Math.max(1, sourceBytes / PROBE_PRIORITY_UNIT_BYTES)));
  return Math.min(LOWEST_PRIORITY, 1 + classes);
}

/** Processing metadata is stored as classes, never exact values that could fingerprint content. */
export function durationClass(sec: number): string {
  if (sec <= 15) return 'xs';
  if (sec <= 60) return 's';
  if (sec <= 300) return 'm';
  if (sec <= 1800) return 'l';
  return 'xl';
}

export function sizeClass(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  if (mb <= 5) return 'xs';
  if (mb <= 50) return 's';
  if (mb <= 500) return 'm';
  if (mb <= 4096) return 'l';
  return 'xl';
}

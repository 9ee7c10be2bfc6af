import { WorkLane } from './lanes';

/**
 * What a worker encodes with. Hardware classes use their encoder first and fall back to the
 * CPU; `null` writes tiny valid outputs without FFmpeg (tests and control-plane benchmarks only).
 */
export const WORKER_CLASSES = ['cpu', 'nvenc', 'qsv', 'vaapi', 'null'] as const;
export type WorkerClass = (typeof WORKER_CLASSES)[number];

export const HARDWARE_CLASSES: readonly WorkerClass[] = ['nvenc', 'qsv', 'vaapi'];

export function isHardwareClass(cls: WorkerClass): boolean {
  return HARDWARE_CLASSES.includes(cls);
}

/**
 * The lanes a worker consumes: the configured ones, plus `gpu` for hardware classes (the lane
 * exists for them). A cpu or null worker serves `gpu` only when it is configured.
 */
export function lanesServed(cls: WorkerClass, configured: readonly WorkLane[]): WorkLane[] {
  const lanes = new Set<WorkLane>(configured);
  if (isHardwareClass(cls)) lanes.add('gpu');
  return [...lanes];
}

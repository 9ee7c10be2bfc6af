import { durationClass } from '@airlock/domain';
import { EncodePath, readChildCpuSeconds } from '@airlock/media';
import { ffmpegCpuSecondsTotal, ffmpegSeconds, processedMediaSecondsTotal } from '@airlock/telemetry';

/** The worker's class as a label: the accelerator of its first encode path (cpu/nvenc/qsv/vaapi). */
export const workerClass = (paths: readonly EncodePath[]): string => paths[0]?.accel ?? 'cpu';

/** The declared class when the worker has one (WORKER_CLASS), else its first encode path's. */
export const classOf = (deps: { readonly workerClass?: string; readonly encodePaths: readonly EncodePath[] }): string => deps.workerClass ?? workerClass(deps.encodePaths);

export interface FfmpegRunLabels {
  /** Rendition or file profile name (bounded by the ladder), never an id. */
  readonly profile: string;
  /** Seconds of media this run renders (segment or file duration). */
  readonly mediaSec: number;
  readonly workerClass: string;
}

/**
 * Time one FFmpeg run (with its fallbacks) and count the CPU its reaped children burned;
 * media seconds count only when the run succeeded.
 */
export async function measureFfmpeg<T>(labels: FfmpegRunLabels, run: () => Promise<T>): Promise<T> {
  const cpuBefore = readChildCpuSeconds();
  const started = process.hrtime.bigint();
  const byProfile = { profile: labels.profile, worker_class: labels.workerClass };
  try {
    const result = await run();
    processedMediaSecondsTotal.inc(byProfile, labels.mediaSec);
    return result;
  } finally {
    ffmpegSeconds.observe({ ...byProfile, duration_class: durationClass(labels.mediaSec) }, Number(process.hrtime.bigint() - started) / 1e9);
    const cpu = readChildCpuSeconds() - cpuBefore;
    if (cpu > 0) ffmpegCpuSecondsTotal.inc(byProfile, cpu);
  }
}

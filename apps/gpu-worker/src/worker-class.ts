import { lanesServed, WorkerClass, WorkLane } from '@airlock/domain';
import { Accel, EncodePath, encodePaths } from '@airlock/media';

export interface WorkerClassConfig {
  readonly WORKER_CLASS?: WorkerClass;
  readonly WORKER_ACCEL: 'auto' | Accel;
  readonly WORKER_LANES: readonly WorkLane[];
}

export interface ResolvedWorker {
  readonly workerClass: WorkerClass;
  /** Encode paths tried in order; the null class never encodes, its list is the CPU's for completeness. */
  readonly encodePaths: EncodePath[];
  readonly lanes: WorkLane[];
}

/**
 * The worker's class: WORKER_CLASS when declared, else WORKER_ACCEL when not `auto`, else the
 * first hardware encoder that passes detection (or cpu). The class picks the encode paths
 * (a hardware class falls back to the CPU) and adds the gpu lane for hardware classes.
 */
export async function resolveWorker(config: WorkerClassConfig, detect: () => Promise<Accel[]>): Promise<ResolvedWorker> {
  const declared: WorkerClass | undefined = config.WORKER_CLASS ?? (config.WORKER_ACCEL === 'auto' ? undefined : config.WORKER_ACCEL);
  let paths: EncodePath[];
  let cls: WorkerClass;
  if (declared === 'null' || declared === 'cpu') {
    paths = encodePaths(['cpu']);
    cls = declared;
  } else if (declared) {
    paths = encodePaths([declared, 'cpu']);
    cls = declared;
  } else {
    paths = encodePaths(await detect());
    cls = paths[0].accel;
  }
  return { workerClass: cls, encodePaths: paths, lanes: lanesServed(cls, config.WORKER_LANES) };
}

import { JobName } from '@airlock/contracts';

/** Every queue in the system. Lanes are separate queues so long uploads never starve short clips. */
export const QueueName = {
  Orchestrator: 'orchestrator',
  Short: 'short',
  Long: 'long',
  /** Heavy rungs (4K, HEVC, HDR) when hardware workers serve it (the orchestrator's GPU_LANE). */
  Gpu: 'gpu',
  Thumbnails: 'thumbnails',
  Verify: 'verify',
  Manifest: 'manifest',
  Retry: 'retry',
  DeadLetter: 'dead-letter',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];
export const ALL_QUEUES: readonly QueueName[] = Object.values(QueueName);

export type LaneQueue = typeof QueueName.Short | typeof QueueName.Long | typeof QueueName.Gpu;

/** Which service handles which job. Boot fails when a service lacks a handler for one of its jobs. */
export const SERVICE_JOBS = {
  orchestrator: [JobName.MediaStart, JobName.MediaPlan, JobName.TaskRecord, JobName.TaskGroupRecord, JobName.MediaPublish, JobName.PreviewPublish, JobName.EarlyPublish, JobName.SweepRun],
  'gpu-worker': [JobName.MediaProbe, JobName.SegmentTranscode, JobName.SegmentGroupTranscode, JobName.AudioTranscode, JobName.FileTranscode],
  verifier: [JobName.OutputsVerify],
  manifester: [JobName.ManifestWrite],
} as const satisfies Record<string, readonly JobName[]>;
export type ServiceName = keyof typeof SERVICE_JOBS;
export type JobsOf<S extends ServiceName> = (typeof SERVICE_JOBS)[S][number];

/** Queues each service consumes (workers consume lanes chosen at boot). */
export const SERVICE_QUEUES: Record<Exclude<ServiceName, 'gpu-worker'>, QueueName[]> = {
  orchestrator: [QueueName.Orchestrator],
  verifier: [QueueName.Verify],
  manifester: [QueueName.Manifest],
};

/** The queue a job goes to; worker jobs go to the lane the planner chose. */
export function queueFor(name: JobName, lane?: LaneQueue): QueueName {
  switch (name) {
    case JobName.MediaStart:
    case JobName.MediaPlan:
    case JobName.TaskRecord:
    case JobName.TaskGroupRecord:
    case JobName.MediaPublish:
    case JobName.PreviewPublish:
    case JobName.EarlyPublish:
    case JobName.SweepRun:
      return QueueName.Orchestrator;
    case JobName.OutputsVerify:
      return QueueName.Verify;
    case JobName.ManifestWrite:
      return QueueName.Manifest;
    case JobName.MediaProbe:
      // By the source's size (probeLaneFor); short when not said.
      return lane ?? QueueName.Short;
    case JobName.SegmentTranscode:
    case JobName.SegmentGroupTranscode:
    case JobName.AudioTranscode:
    case JobName.FileTranscode:
      if (!lane) throw new Error(`${name} needs a lane`);
      return lane;
  }
}

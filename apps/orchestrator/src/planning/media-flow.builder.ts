import { JobName, RenditionSpec, SegmentSpec } from '@airlock/contracts';
import { AUDIO_RENDITION } from '@airlock/domain';
import { FlowNode, jobIdOf, QueueName } from '@airlock/queue';
import { MediaPlan } from './media-plan';

export interface PlannedTask {
  readonly id: string;
  readonly kind: 'video' | 'audio';
  readonly segmentIndex: number;
  readonly rendition: string;
}

export interface FlowInput {
  readonly mediaId: string;
  readonly jobId: string;
  readonly sourceKey: string;
  readonly durationSec: number;
  readonly plan: MediaPlan;
  readonly tasks: readonly PlannedTask[];
  readonly taskAttempts: number;
  /** The tenant policy's worker_key_ttl_seconds, carried to each attempt. */
  readonly keyTtlSec: number;
  /** The media's output key id: the verifier checks every stream is encrypted under it. */
  readonly outputKeyId: string;
}

/** Tasks of a plan, lower rungs first so they become available first. Ids are supplied by the caller. */
export function tasksOf(plan: MediaPlan, newId: () => string): PlannedTask[] {
  const video = plan.renditions.flatMap((r) =>
    plan.segments.map((s) => ({ id: newId(), kind: 'video' as const, segmentIndex: s.index, rendition: r.name })),
  );
  const audio = plan.audio ? [{ id: newId(), kind: 'audio' as const, segmentIndex: 0, rendition: AUDIO_RENDITION }] : [];
  return [...audio, ...video];
}

/**
 * The processing flow as plain data (DESIGN section 5), edges explicit:
 *
 *   publish (orchestrator)
 *    `- manifest (manifester)            report-to-parent: publish records any failure
 *        `- verify (verifier)            fail-parent: no manifest from unverified output
 *            `- record task (orchestrator)   fail-parent: a failed task fails verification
 *                `- transcode / audio (worker lane)  report-to-parent: record learns every outcome
 */
export function buildMediaFlow(input: FlowInput): FlowNode {
  const { mediaId, jobId, plan } = input;
  const renditionByName = new Map<string, RenditionSpec>(plan.renditions.map((r) => [r.name, r]));
  const segmentByIndex = new Map<number, SegmentSpec>(plan.segments.map((s) => [s.index, s]));
  const lane = plan.lane === 'short' ? QueueName.Short : QueueName.Long;

  const records: FlowNode[] = input.tasks.map((task) => {
    const work: FlowNode =
      task.kind === 'audio'
        ? {
            name: JobName.AudioTranscode,
            queue: lane,
            jobId: jobIdOf('audio', task.id),
            data: { mediaId, jobId, taskId: task.id, sourceKey: input.sourceKey, durationSec: input.durationSec, keyTtlSec: input.keyTtlSec },
            attempts: input.taskAttempts,
            onFailure: 'report-to-parent',
          }
        : {
            name: JobName.SegmentTranscode,
            queue: lane,
            jobId: jobIdOf('transcode', task.id),
            data: {
              mediaId,
              jobId,
              taskId: task.id,
              sourceKey: input.sourceKey,
              keyTtlSec: input.keyTtlSec,
              fps: plan.fps,
              segment: required(segmentByIndex.get(task.segmentIndex), `segment ${task.segmentIndex}`),
              rendition: required(renditionByName.get(task.rendition), `rendition ${task.rendition}`),
              ...(plan.sourceHdr ? { sourceHdr: plan.sourceHdr } : {}),
            },
            attempts: input.taskAttempts,
            onFailure: 'report-to-parent',
          };
    return {
      name: JobName.TaskRecord,
      queue: QueueName.Orchestrator,
      jobId: jobIdOf('record', task.id),
      data: { mediaId, jobId, taskId: task.id },
      onFailure: 'fail-parent',
      children: [work],
    };
  });

  const verify: FlowNode = {
    name: JobName.OutputsVerify,
    queue: QueueName.Verify,
    jobId: jobIdOf('verify', jobId),
    data: {
      mediaId,
      jobId,
      expected: { renditions: plan.renditions.map((r) => r.name), segments: plan.segments, audio: plan.audio, keyId: input.outputKeyId },
    },
    onFailure: 'fail-parent',
    children: records,
  };
  const manifest: FlowNode = {
    name: JobName.ManifestWrite,
    queue: QueueName.Manifest,
    jobId: jobIdOf('manifest', jobId),
    data: { mediaId, jobId, version: jobId },
    onFailure: 'report-to-parent',
    children: [verify],
  };
  return {
    name: JobName.MediaPublish,
    queue: QueueName.Orchestrator,
    jobId: jobIdOf('publish', jobId),
    data: { mediaId, jobId },
    children: [manifest],
  };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`plan has no ${what}`);
  return value;
}

import { JobName, PayloadOf, SegmentSpec } from '@airlock/contracts';
import { AUDIO_RENDITION, findFileProfile, isPreviewRendition, segmentByteRanges, WorkLane, workLaneFor } from '@airlock/domain';
import { FlowNode, jobIdOf, LaneQueue, QueueName } from '@airlock/queue';
import { MediaPlan } from './media-plan';

export interface PlannedTask {
  readonly id: string;
  readonly kind: 'video' | 'audio' | 'file';
  readonly segmentIndex: number;
  readonly rendition: string;
  /** `duplicate`: the same work again on another worker, compared by the verifier (duplicate-tasks.ts). */
  readonly role?: 'primary' | 'duplicate';
  /** Already succeeded (a flow rebuilt from Postgres): its record step answers with the stored report, nothing re-runs. */
  readonly done?: boolean;
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
  /** 0 for the first flow; each rebuild from Postgres (recovery, re-drive) gets fresh queue job ids. */
  readonly generation?: number;
}

/** Queue job ids derive from domain ids (re-adding is a no-op) and the flow's generation. */
function idOf(input: Pick<FlowInput, 'generation'>, kind: string, id: string): string {
  return input.generation ? jobIdOf(kind, id, `g${input.generation}`) : jobIdOf(kind, id);
}

/** The id of the ladder flow's root: its presence in Redis says the flow is alive. */
export function publishJobId(jobId: string, generation: number): string {
  return idOf({ generation }, 'publish', jobId);
}

/**
 * Tasks of a plan, in the order they should become available: the preview's, audio, the
 * cheap chat files (poster, animated preview), lower rungs before higher ones, and the
 * whole-file MP4 last. Ids are supplied by the caller.
 */
export function tasksOf(plan: MediaPlan, newId: () => string): PlannedTask[] {
  const videoTasks = (rendition: string, segments: readonly SegmentSpec[]) =>
    segments.map((s) => ({ id: newId(), kind: 'video' as const, segmentIndex: s.index, rendition }));
  const fileTasks = (mp4: boolean) =>
    plan.files.filter((f) => (findFileProfile(f.name)?.kind === 'mp4') === mp4).map((f) => ({ id: newId(), kind: 'file' as const, segmentIndex: 0, rendition: f.name }));
  const preview = plan.preview ? videoTasks(plan.preview.rendition.name, plan.preview.segments) : [];
  const audio = plan.audio ? [{ id: newId(), kind: 'audio' as const, segmentIndex: 0, rendition: AUDIO_RENDITION }] : [];
  return [...preview, ...audio, ...fileTasks(false), ...plan.renditions.flatMap((r) => videoTasks(r.name, plan.segments)), ...fileTasks(true)];
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
  const tasks = input.tasks.filter((t) => !isPreviewRendition(t.rendition));
  const expected = { renditions: plan.renditions.map((r) => r.name), segments: plan.segments, audio: plan.audio, keyId: input.outputKeyId, files: plan.files.map((f) => f.name) };
  return {
    name: JobName.MediaPublish,
    queue: QueueName.Orchestrator,
    jobId: idOf(input, 'publish', jobId),
    data: { mediaId, jobId },
    children: [manifestOf(input, jobId, verifyOf(input, idOf(input, 'verify', jobId), expected, ladderRecords(input, tasks)))],
  };
}

/** The ladder's record steps in queue order: a rung group's where its first task would be. */
function ladderRecords(input: FlowInput, tasks: readonly PlannedTask[]): FlowNode[] {
  const groups = rungGroups(input.plan, tasks);
  const groupOf = new Map(groups.flatMap((g) => g.map((t) => [t.id, g] as const)));
  const early = earlyRenditionsOf(input.plan);
  return tasks.flatMap((t) => {
    const group = groupOf.get(t.id);
    if (!group) return [recordOf(input, t, 'record', early.includes(t.rendition) ? early : undefined)];
    return group[0] === t ? [groupRecordOf(input, group)] : [];
  });
}

/**
 * A segment's rungs that one FFmpeg run encodes together (GROUP_RUNGS): the source is fetched
 * and decoded once instead of once per rung. Each stays its own task, attempt and report. Left
 * out: the early stage's lowest rung (it runs first, on its own), stream copies, HEVC and HDR
 * rungs (their own lane and encoder), duplicates and the slots they sample (twins must encode
 * alike), and tasks already done.
 */
export function rungGroups(plan: MediaPlan, tasks: readonly PlannedTask[]): PlannedTask[][] {
  if (!plan.groupRungs) return [];
  const early = earlyRenditionsOf(plan);
  const sampled = new Set(tasks.filter((t) => t.role === 'duplicate').map((t) => `${t.segmentIndex}/${t.rendition}`));
  const groupable = (t: PlannedTask) => {
    const spec = plan.renditions.find((r) => r.name === t.rendition);
    return t.kind === 'video' && t.role !== 'duplicate' && !t.done && !early.includes(t.rendition) && !sampled.has(`${t.segmentIndex}/${t.rendition}`) && spec?.codec === 'h264' && !spec.hdr && !spec.streamCopy;
  };
  const bySegment = new Map<number, PlannedTask[]>();
  for (const t of tasks.filter(groupable)) bySegment.set(t.segmentIndex, [...(bySegment.get(t.segmentIndex) ?? []), t]);
  return [...bySegment.values()].filter((g) => g.length > 1);
}

function groupRecordOf(input: FlowInput, group: readonly PlannedTask[]): FlowNode {
  const { mediaId, jobId, plan } = input;
  const [first] = group;
  const segment = required(plan.segments.find((s) => s.index === first.segmentIndex), `segment ${first.segmentIndex}`);
  return {
    name: JobName.TaskGroupRecord,
    queue: QueueName.Orchestrator,
    jobId: idOf(input, 'record-group', first.id),
    data: { mediaId, jobId, taskIds: group.map((t) => t.id) },
    onFailure: 'fail-parent',
    children: [
      {
        name: JobName.SegmentGroupTranscode,
        queue: laneQueueOf(plan, first.rendition),
        jobId: idOf(input, 'transcode-group', first.id),
        data: {
          mediaId,
          jobId,
          sourceKey: input.sourceKey,
          keyTtlSec: input.keyTtlSec,
          fps: plan.fps,
          segment,
          tasks: group.map((t) => ({ taskId: t.id, rendition: required(plan.renditions.find((r) => r.name === t.rendition), `rendition ${t.rendition}`) })),
          ...(plan.sourceHdr ? { sourceHdr: plan.sourceHdr } : {}),
          ...(plan.byteMap ? { sourceRanges: segmentByteRanges(plan.byteMap, segment.startSec, segment.startSec + segment.durationSec) } : {}),
        },
        attempts: input.taskAttempts,
        onFailure: 'report-to-parent',
      },
    ],
  };
}

/**
 * The renditions published ahead of the ladder: its lowest rung and audio, the whole length,
 * so a recipient can play all of it at low quality while the higher rungs encode. None when
 * the ladder has a single rung: that rung is the ladder.
 */
export function earlyRenditionsOf(plan: Pick<MediaPlan, 'renditions' | 'audio'>): string[] {
  if (plan.renditions.length < 2) return [];
  const lowest = plan.renditions.reduce((low, r) => (r.height < low.height ? r : low));
  return [lowest.name, ...(plan.audio ? [AUDIO_RENDITION] : [])];
}

/**
 * The early stage, queued by the record step that counts the last of its tasks (their work
 * ran first: tasksOf puts audio and the lowest rung ahead of the higher rungs). The same
 * stages over those tasks' recorded reports, ending in its own publish (`media.early`). Its
 * records have no work: they answer with the winner's stored report. The ladder's verify
 * checks these outputs again with the rest before anything reaches `ready`.
 */
export function buildEarlyFlow(input: FlowInput): FlowNode | undefined {
  const { mediaId, jobId, plan } = input;
  const renditions = earlyRenditionsOf(plan);
  if (renditions.length === 0) return undefined;
  const tasks = input.tasks.filter((t) => renditions.includes(t.rendition));
  const expected = { renditions: renditions.filter((r) => r !== AUDIO_RENDITION), segments: plan.segments, audio: renditions.includes(AUDIO_RENDITION), keyId: input.outputKeyId };
  return {
    name: JobName.EarlyPublish,
    queue: QueueName.Orchestrator,
    jobId: idOf(input, 'early-publish', jobId),
    data: { mediaId, jobId, renditions },
    children: [manifestOf(input, `${jobId}-early`, verifyOf(input, idOf(input, 'early-verify', jobId), expected, tasks.map((t) => recordOf(input, { ...t, done: true }, 'early-record'))))],
  };
}

/**
 * The preview sub-flow, the same stages over the preview's tasks only, ending in its own
 * publish step (`preview_ready`). Queued before the ladder, so its few tasks run first.
 */
export function buildPreviewFlow(input: FlowInput): FlowNode | undefined {
  const { mediaId, jobId, plan } = input;
  if (!plan.preview) return undefined;
  const tasks = input.tasks.filter((t) => isPreviewRendition(t.rendition));
  const expected = { renditions: [plan.preview.rendition.name], segments: plan.preview.segments, audio: false, keyId: input.outputKeyId };
  return {
    name: JobName.PreviewPublish,
    queue: QueueName.Orchestrator,
    jobId: idOf(input, 'preview-publish', jobId),
    data: { mediaId, jobId },
    children: [manifestOf(input, `${jobId}-preview`, verifyOf(input, idOf(input, 'preview-verify', jobId), expected, tasks.map((t) => recordOf(input, t))))],
  };
}

function manifestOf(input: FlowInput, version: string, verify: FlowNode): FlowNode {
  return {
    name: JobName.ManifestWrite,
    queue: QueueName.Manifest,
    jobId: idOf(input, 'manifest', version),
    data: { mediaId: input.mediaId, jobId: input.jobId, version },
    onFailure: 'report-to-parent',
    children: [verify],
  };
}

function verifyOf(input: FlowInput, verifyJobId: string, expected: PayloadOf<typeof JobName.OutputsVerify>['expected'], children: FlowNode[]): FlowNode {
  return {
    name: JobName.OutputsVerify,
    queue: QueueName.Verify,
    jobId: verifyJobId,
    data: { mediaId: input.mediaId, jobId: input.jobId, expected },
    onFailure: 'fail-parent',
    children,
  };
}

function recordOf(input: FlowInput, task: PlannedTask, kind = 'record', earlyStage?: string[]): FlowNode {
  return {
    name: JobName.TaskRecord,
    queue: QueueName.Orchestrator,
    jobId: idOf(input, kind, task.id),
    data: { mediaId: input.mediaId, jobId: input.jobId, taskId: task.id, ...(earlyStage ? { earlyStage } : {}) },
    onFailure: 'fail-parent',
    children: task.done ? [] : [workOf(input, task)],
  };
}

const LANE_QUEUES: Record<WorkLane, LaneQueue> = { short: QueueName.Short, long: QueueName.Long, gpu: QueueName.Gpu };

/** The queue of one task's work: its media's lane, or the gpu lane for a heavy rung when the plan says so. */
export function laneQueueOf(plan: Pick<MediaPlan, 'lane' | 'gpuLane'>, rendition: string): LaneQueue {
  return LANE_QUEUES[workLaneFor(plan.lane, rendition, plan.gpuLane === true)];
}

function workOf(input: FlowInput, task: PlannedTask): FlowNode {
  const { mediaId, jobId, plan } = input;
  const lane = laneQueueOf(plan, task.rendition);
  const common = { mediaId, jobId, taskId: task.id, sourceKey: input.sourceKey, keyTtlSec: input.keyTtlSec };
  if (task.kind === 'file') {
    const file = required(plan.files.find((f) => f.name === task.rendition), `file ${task.rendition}`);
    return {
      name: JobName.FileTranscode,
      queue: lane,
      jobId: idOf(input, 'file', task.id),
      data: { ...common, profile: file.name, width: file.width, height: file.height, fps: plan.fps, durationSec: input.durationSec, ...(plan.sourceHdr ? { sourceHdr: plan.sourceHdr } : {}) },
      attempts: input.taskAttempts,
      onFailure: 'report-to-parent',
    };
  }
  if (task.kind === 'audio') {
    return {
      name: JobName.AudioTranscode,
      queue: lane,
      jobId: idOf(input, 'audio', task.id),
      data: { ...common, durationSec: input.durationSec },
      attempts: input.taskAttempts,
      onFailure: 'report-to-parent',
    };
  }
  const renditions = [...plan.renditions, ...(plan.preview ? [plan.preview.rendition] : [])];
  // The preview has its own chunk grid.
  const segments = plan.preview && task.rendition === plan.preview.rendition.name ? plan.preview.segments : plan.segments;
  const segment = required(segments.find((s) => s.index === task.segmentIndex), `segment ${task.segmentIndex}`);
  return {
    name: JobName.SegmentTranscode,
    queue: lane,
    jobId: idOf(input, 'transcode', task.id),
    data: {
      ...common,
      fps: plan.fps,
      segment,
      rendition: required(renditions.find((r) => r.name === task.rendition), `rendition ${task.rendition}`),
      ...(plan.sourceHdr ? { sourceHdr: plan.sourceHdr } : {}),
      // Only the bytes of this segment: the sealed source is read by range, not whole.
      ...(plan.byteMap ? { sourceRanges: segmentByteRanges(plan.byteMap, segment.startSec, segment.startSec + segment.durationSec) } : {}),
    },
    attempts: input.taskAttempts,
    onFailure: 'report-to-parent',
  };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`plan has no ${what}`);
  return value;
}

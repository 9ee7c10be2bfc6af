import { z } from 'zod';
import { frameRateSchema } from './probe.schema';

/**
 * Every job that crosses a queue. Payloads carry references and policy, never
 * secrets or content. Each is parsed at the edge of its handler.
 */
export const JobName = {
  MediaStart: 'media.start',
  MediaProbe: 'media.probe',
  MediaPlan: 'media.plan',
  SegmentTranscode: 'segment.transcode',
  /** Several rungs of one segment in one FFmpeg run (the source decoded once), each rung still its own task and attempt. */
  SegmentGroupTranscode: 'segment.transcode-group',
  AudioTranscode: 'audio.transcode',
  /** One chat file (poster, animated preview, normalized MP4) from the whole source. */
  FileTranscode: 'file.transcode',
  TaskRecord: 'task.record',
  /** The record step of a segment group: each task recorded and counted on its own. */
  TaskGroupRecord: 'tasks.record',
  OutputsVerify: 'outputs.verify',
  ManifestWrite: 'manifest.write',
  MediaPublish: 'media.publish',
  /** The preview sub-flow's last step: the media becomes `preview_ready`. */
  PreviewPublish: 'media.preview',
  /** The early stage's last step: the lowest rung and audio become playable ahead of the ladder. */
  EarlyPublish: 'media.early',
  SweepRun: 'sweep.run',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

const ref = { mediaId: z.string().uuid(), jobId: z.string().uuid() };
/** Policy a worker attempt needs: how long its job token (and so its grant) may live. */
const attemptPolicy = { keyTtlSec: z.number().int().min(30).max(3600) };

export const renditionSchema = z.object({
  name: z.string(),
  codec: z.enum(['h264', 'hevc']),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bitrateKbps: z.number().int().positive(),
  hdr: z.boolean(),
  /** The source already conforms to this rung: cut its own stream at keyframes instead of encoding. */
  streamCopy: z.literal(true).optional(),
  /** `fastest`: time over size (the preview): the encoder's fastest preset. */
  speed: z.literal('fastest').optional(),
});
export type RenditionSpec = z.infer<typeof renditionSchema>;

export const segmentSpecSchema = z.object({
  index: z.number().int().nonnegative(),
  startFrame: z.number().int().nonnegative(),
  frameCount: z.number().int().positive(),
  startSec: z.number().nonnegative(),
  durationSec: z.number().positive(),
  gopAligned: z.boolean(),
});
export type SegmentSpec = z.infer<typeof segmentSpecSchema>;

export const jobPayloadSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal(JobName.MediaStart), data: z.object({ mediaId: z.string().uuid() }) }),
  z.object({ name: z.literal(JobName.MediaProbe), data: z.object({ ...ref, ...attemptPolicy, taskId: z.string().uuid(), sourceKey: z.string() }) }),
  z.object({ name: z.literal(JobName.MediaPlan), data: z.object(ref) }),
  z.object({
    name: z.literal(JobName.SegmentTranscode),
    data: z.object({
      ...ref,
      ...attemptPolicy,
      taskId: z.string().uuid(),
      sourceKey: z.string(),
      fps: frameRateSchema,
      segment: segmentSpecSchema,
      rendition: renditionSchema,
      /** The source's HDR transfer: HDR rungs signal it, SDR rungs are tone-mapped from it. */
      sourceHdr: z.enum(['pq', 'hlg']).optional(),
      /** The plaintext source bytes this segment needs ([start, end), from the probe's byte map); absent: the whole source. */
      sourceRanges: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])).optional(),
    }),
  }),
  z.object({
    name: z.literal(JobName.SegmentGroupTranscode),
    data: z.object({
      ...ref,
      ...attemptPolicy,
      sourceKey: z.string(),
      fps: frameRateSchema,
      segment: segmentSpecSchema,
      sourceHdr: z.enum(['pq', 'hlg']).optional(),
      sourceRanges: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])).optional(),
      /** The segment's tasks, one rung each (at least two; one is a plain segment.transcode). */
      tasks: z.array(z.object({ taskId: z.string().uuid(), rendition: renditionSchema })).min(2),
    }),
  }),
  z.object({
    name: z.literal(JobName.AudioTranscode),
    data: z.object({ ...ref, ...attemptPolicy, taskId: z.string().uuid(), sourceKey: z.string(), durationSec: z.number().positive() }),
  }),
  z.object({
    name: z.literal(JobName.FileTranscode),
    data: z.object({
      ...ref,
      ...attemptPolicy,
      taskId: z.string().uuid(),
      sourceKey: z.string(),
      /** A FILE_PROFILES name: clients choose by name, the worker's builders decide the arguments. */
      profile: z.string(),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      fps: frameRateSchema,
      durationSec: z.number().positive(),
      sourceHdr: z.enum(['pq', 'hlg']).optional(),
    }),
  }),
  z.object({
    name: z.literal(JobName.TaskRecord),
    data: z.object({
      ...ref,
      taskId: z.string().uuid(),
      /** On the records of the early stage's tasks only: its renditions (the lowest rung, audio); the record that counts the last of them queues the stage. */
      earlyStage: z.array(z.string()).min(1).optional(),
    }),
  }),
  z.object({ name: z.literal(JobName.TaskGroupRecord), data: z.object({ ...ref, taskIds: z.array(z.string().uuid()).min(2) }) }),
  z.object({
    name: z.literal(JobName.OutputsVerify),
    data: z.object({
      ...ref,
      expected: z.object({
        renditions: z.array(z.string()),
        segments: z.array(segmentSpecSchema),
        audio: z.boolean(),
        /** Every stream must be encrypted (segments AES-128, files AES-256-GCM) under this media's output key id. */
        keyId: z.string().regex(/^[0-9a-f]{32}$/),
        /** Chat files (FILE_PROFILES names), one sealed object each. */
        files: z.array(z.string()).optional(),
      }),
    }),
  }),
  z.object({ name: z.literal(JobName.ManifestWrite), data: z.object({ ...ref, version: z.string() }) }),
  z.object({ name: z.literal(JobName.MediaPublish), data: z.object(ref) }),
  z.object({ name: z.literal(JobName.PreviewPublish), data: z.object(ref) }),
  z.object({ name: z.literal(JobName.EarlyPublish), data: z.object({ ...ref, renditions: z.array(z.string()).min(1) }) }),
  z.object({ name: z.literal(JobName.SweepRun), data: z.object({}) }),
]);
export type JobPayload = z.infer<typeof jobPayloadSchema>;
export type PayloadOf<N extends JobName> = Extract<JobPayload, { name: N }>['data'];

export function parsePayload<N extends JobName>(name: N, data: unknown): PayloadOf<N> {
  return jobPayloadSchema.parse({ name, data }).data as PayloadOf<N>;
}

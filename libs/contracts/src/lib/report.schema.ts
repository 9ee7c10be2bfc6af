import { z } from 'zod';

/**
 * Facts about one object a worker produced: enough to verify it and write manifests, no
 * content. fMP4 init and media segments, or a sealed chat file (timescale 1000, its duration).
 */
export const outputFactSchema = z.object({
  kind: z.enum(['init', 'media', 'file']),
  rendition: z.string(),
  /** Segment index for media objects; -1 for init segments. */
  segmentIndex: z.number().int(),
  key: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.number().int().positive(),
  timescale: z.number().int().positive(),
  /** tfdt of the first fragment, in timescale units (media objects). */
  baseDecodeTime: z.number().int().nonnegative(),
  /** Summed sample durations, in timescale units (media objects). */
  duration: z.number().int().nonnegative(),
  sampleCount: z.number().int().nonnegative(),
});
export type OutputFact = z.infer<typeof outputFactSchema>;

export const streamInfoSchema = z.object({
  rendition: z.string(),
  type: z.enum(['video', 'audio', 'file']),
  /** RFC 6381 codecs string, e.g. avc1.64001f or mp4a.40.2. */
  codecs: z.string(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  fps: z.object({ num: z.number().int(), den: z.number().int() }).optional(),
  bitrateKbps: z.number().int(),
  sampleRate: z.number().int().optional(),
  channels: z.number().int().optional(),
  /**
   * Encrypted for recipients under the media's output key (its id is public, the key is not):
   * init and media segments whole, as AES-128-CBC (HLS `METHOD=AES-128`, @airlock/crypto
   * segment-cipher), chat files as chunked AES-256-GCM under a key derived from it.
   */
  encryption: z.object({ scheme: z.enum(['aes-128', 'blob-aes256gcm']), keyId: z.string().regex(/^[0-9a-f]{32}$/) }).optional(),
});
export type StreamInfo = z.infer<typeof streamInfoSchema>;

export const cleanupReceiptSchema = z.object({
  pathsRemoved: z.number().int(),
  bytesRemoved: z.number().int(),
  tempDirGone: z.boolean(),
  grantReleased: z.boolean(),
});

/**
 * What a worker attempt returns for one task (the "callback"), signed by the worker. The
 * receipt, the input hash and the signature are optional here only so that a report without
 * them reaches the verifier and is refused there with a named reason.
 */
export const taskReportSchema = z.object({
  taskId: z.string(),
  attemptId: z.string(),
  attemptNumber: z.number().int().positive(),
  workerId: z.string(),
  encoderPath: z.string(),
  encoderBuild: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  stream: streamInfoSchema,
  outputs: z.array(outputFactSchema).min(1),
  cleanup: cleanupReceiptSchema.optional(),
  /** sha256 of the encrypted source the attempt consumed (checked against the upload's). */
  inputSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** Compact JWS (EdDSA, the worker fleet key) over the sha256 of the rest of the report. */
  signature: z.string().optional(),
});
export type TaskReport = z.infer<typeof taskReportSchema>;

/** What a segment group's work (and its record step) returns: one report per task. */
export const taskReportsSchema = z.object({ reports: z.array(taskReportSchema).min(1) });
export type TaskReports = z.infer<typeof taskReportsSchema>;

/**
 * A stage's answer when its media's processing was already over (ready, failed, expired,
 * deleted): it did nothing and wrote nothing. The verifier answers it as a failed verification
 * with this code, which the manifester passes up and the publish steps ignore.
 */
export const MEDIA_FINISHED = 'media_finished';
export const stageSkippedSchema = z.object({ skipped: z.literal(MEDIA_FINISHED), state: z.string() });
export type StageSkipped = z.infer<typeof stageSkippedSchema>;

/** The reports under a verify step: a task's record step gives one, a group's record step one per task (a skipped one none). */
export function reportsOfChildren(values: readonly unknown[]): TaskReport[] {
  return values.flatMap((v) => {
    if (stageSkippedSchema.safeParse(v).success) return [];
    const group = taskReportsSchema.safeParse(v);
    return group.success ? group.data.reports : [taskReportSchema.parse(v)];
  });
}

/** Outputs the verifier refused, by the attempt that produced them: those tasks run again elsewhere. */
export const rejectedTaskSchema = z.object({
  taskId: z.string(),
  attemptId: z.string(),
  workerId: z.string(),
  reasons: z.array(z.string()).min(1),
  /** False: redo the task elsewhere without blaming the worker (a tie a third worker breaks). */
  quarantine: z.boolean().default(true),
});
export type RejectedTask = z.infer<typeof rejectedTaskSchema>;

/** The verifier's verdict, passed up the flow to the manifester and publish. */
export const verificationSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    streams: z.array(streamInfoSchema),
    outputs: z.array(outputFactSchema),
    checked: z.number().int(),
  }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string(), failures: z.array(z.string()), rejected: z.array(rejectedTaskSchema).optional() }),
]);
export type Verification = z.infer<typeof verificationSchema>;

export const manifestResultSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    version: z.string(),
    hlsKey: z.string(),
    dashKey: z.string(),
    outputs: z.array(outputFactSchema),
    renditions: z.array(z.string()),
  }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string(), rejected: z.array(rejectedTaskSchema).optional() }),
]);
export type ManifestResult = z.infer<typeof manifestResultSchema>;

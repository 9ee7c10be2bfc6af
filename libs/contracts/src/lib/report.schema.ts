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
   * segments as cbcs, chat files as chunked AES-256-GCM under a key derived from it.
   */
  encryption: z.object({ scheme: z.enum(['cbcs', 'blob-aes256gcm']), keyId: z.string().regex(/^[0-9a-f]{32}$/) }).optional(),
});
export type StreamInfo = z.infer<typeof streamInfoSchema>;

/** What a worker attempt returns for one task (the "callback"). */
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
  cleanup: z.object({
    pathsRemoved: z.number().int(),
    bytesRemoved: z.number().int(),
    tempDirGone: z.boolean(),
    grantReleased: z.boolean(),
  }),
});
export type TaskReport = z.infer<typeof taskReportSchema>;

/** The verifier's verdict, passed up the flow to the manifester and publish. */
export const verificationSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    streams: z.array(streamInfoSchema),
    outputs: z.array(outputFactSchema),
    checked: z.number().int(),
  }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string(), failures: z.array(z.string()) }),
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
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);
export type ManifestResult = z.infer<typeof manifestResultSchema>;

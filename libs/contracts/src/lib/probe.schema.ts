import { z } from 'zod';

export const frameRateSchema = z.object({ num: z.number().int().positive(), den: z.number().int().positive() });

export const videoProbeSchema = z.object({
  codec: z.string(),
  profile: z.string().optional(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Display rotation in degrees from the display matrix (0, 90, 180, 270). */
  rotation: z.number().int(),
  fps: frameRateSchema,
  variableFrameRate: z.boolean(),
  pixFmt: z.string().optional(),
  colorTransfer: z.string().optional(),
  colorPrimaries: z.string().optional(),
  hdr: z.enum(['none', 'pq', 'hlg']),
  durationSec: z.number().nonnegative(),
  frameCount: z.number().int().nonnegative(),
  bitRate: z.number().int().nonnegative().optional(),
  keyframeTimes: z.array(z.number()),
});

export const audioProbeSchema = z.object({
  codec: z.string(),
  channels: z.number().int().positive(),
  sampleRate: z.number().int().positive(),
  durationSec: z.number().nonnegative(),
});

/** Where the source's bytes are (ISO BMFF only): what lets a task fetch just its segment's (libs/media source-byte-map.ts). */
export const byteMapSchema = z.object({
  header: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
  keyframes: z.array(z.tuple([z.number(), z.number().int().nonnegative()])),
  videoEnd: z.number().int().nonnegative(),
});
export type ByteMap = z.infer<typeof byteMapSchema>;

export const probeSchema = z.object({
  formatName: z.string(),
  durationSec: z.number().nonnegative(),
  sizeBytes: z.number().int().nonnegative(),
  bitRate: z.number().int().nonnegative().optional(),
  video: videoProbeSchema.optional(),
  audio: audioProbeSchema.optional(),
  byteMap: byteMapSchema.optional(),
});
export type Probe = z.infer<typeof probeSchema>;
export type VideoProbe = z.infer<typeof videoProbeSchema>;

/** A probe either describes usable media or rejects it with a terminal reason code. */
export const probeOutcomeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), probe: probeSchema }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);
export type ProbeOutcome = z.infer<typeof probeOutcomeSchema>;

/**
 * What the probe job hands the planner: the outcome and the attempt that produced it, which the
 * planner records as the probe task's winner (like every task's). `attemptId` is absent only
 * from a worker older than this field: the task is then recorded without its winner.
 */
export const probeJobResultSchema = z.intersection(probeOutcomeSchema, z.object({ attemptId: z.string().uuid().optional() }));
export type ProbeJobResult = z.infer<typeof probeJobResultSchema>;

import { z } from 'zod';

/** Compact JWE (five base64url parts); the header is checked again where the key is used. */
const compactJwe = z.string().max(4096).regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a compact JWE');

export const publicJwkSchema = z
  .object({
    kty: z.literal('OKP'),
    crv: z.literal('X25519'),
    x: z.string().min(40).max(60),
    kid: z.string().max(200).optional(),
    alg: z.literal('ECDH-ES+A256KW').optional(),
    use: z.literal('enc').optional(),
  })
  // Strict: a private part (`d`) sent by mistake is refused, not silently stored.
  .strict();

export const createMediaSchema = z.object({
  messageId: z.string().min(1).max(200).optional(),
  roomId: z.string().min(1).max(200).optional(),
  profiles: z.array(z.string().min(1).max(40)).min(1).max(16).optional(),
  /** Who may play the outputs: each gets the output key wrapped to their public key. */
  recipients: z
    .array(z.object({ id: z.string().min(1).max(200), publicJwk: publicJwkSchema }))
    .min(1)
    .max(256),
  source: z.object({
    /** Size and sha256 of the ciphertext that will be uploaded. */
    sizeBytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters'),
    /** The content key, JWE-wrapped to the pipeline key from GET /v1/keys. */
    contentKeyJwe: compactJwe,
  }),
});
export type CreateMediaRequest = z.infer<typeof createMediaSchema>;

export interface UploadTarget {
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

export interface CreateMediaResponse {
  id: string;
  state: string;
  upload: UploadTarget;
}

export interface MediaView {
  id: string;
  state: string;
  recipientStatus: string;
  progress: { done: number; total: number };
  probe?: { durationClass: string | null; width?: number; height?: number; hasAudio?: boolean };
  renditions: { name: string; ready: boolean }[];
  manifests?: { hls: string; dash: string };
  /** Chat files (poster, animated preview, MP4) when ready: sealed blobs, opened with the output key. */
  files?: { name: string; url: string; sha256: string; sizeBytes: number; contentType: string }[];
  /** The lowest rung and audio, whole length: verified and playable before the rest of the ladder. */
  early?: { renditions: string[]; hls: string; dash: string };
  /** The muted preview (first seconds, 360p), available from `preview_ready` on. */
  preview?: { hls: string; dash: string };
  failure?: { code: string; message: string };
  /** The output key id and the output key wrapped to each recipient. */
  keyId: string;
  keys: { recipientId: string; jwe: string }[];
  createdAt: string;
  updatedAt: string;
}

export const listMediaQuerySchema = z.object({
  roomId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().uuid().optional(),
});
export type ListMediaQuery = z.infer<typeof listMediaQuerySchema>;

export interface MediaList {
  items: { id: string; state: string; recipientStatus: string; roomId?: string; createdAt: string }[];
  nextCursor?: string;
}

export interface ApiError {
  error: { code: string; message: string; details?: unknown };
}

export const grantRequestSchema = z.object({
  token: z.string().min(20).max(4096),
  ephemeralPublicJwk: publicJwkSchema,
  /** The queue job the attempt runs in: the watchdog hands it back when the attempt goes silent. */
  queueJob: z.object({ queue: z.string().min(1).max(64), id: z.string().min(1).max(200) }).optional(),
});

/** The verifier asks for the output key (deep checks): its own signed token and an ephemeral key. */
export const verifierGrantRequestSchema = z.object({
  token: z.string().min(20).max(4096),
  ephemeralPublicJwk: publicJwkSchema,
});

export interface VerifierGrantResponse {
  expiresAt: string;
  /** The media's output key, JWE-wrapped to the verifier's ephemeral key. No content key: the verifier never sees the source. */
  outputKeyJwe: string;
  outputKeyId: string;
}

/** A heartbeat of a running attempt; the answer says whether it may go on. */
export const heartbeatRequestSchema = z.object({ token: z.string().min(20).max(4096) });

export interface HeartbeatResponse {
  /** false: stop now (media deleted or failed, grant revoked, or a newer attempt took the task). */
  live: boolean;
  reason?: string;
}

/** Releasing a grant ends the attempt; a failed one says why (a reason code, never content). */
export const releaseRequestSchema = z.object({
  token: z.string().min(20).max(4096),
  outcome: z.object({ ok: z.boolean(), code: z.string().max(80).optional() }).optional(),
});

export interface GrantResponse {
  grantId: string;
  expiresAt: string;
  /** Content and output keys, each JWE-wrapped to the attempt's ephemeral key. */
  contentKeyJwe: string;
  outputKeyJwe: string;
  outputKeyId: string;
  source: { url: string; sha256: string; sizeBytes: number };
}

export const uploadRequestSchema = z.object({
  token: z.string().min(20).max(4096),
  files: z
    .array(
      z.object({
        kind: z.enum(['init', 'media', 'file']),
        rendition: z.string().min(1).max(40),
        segmentIndex: z.number().int().min(-1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .min(1)
    .max(2000),
});

export interface UploadResponse {
  uploads: { key: string; url: string }[];
}

import { z } from 'zod';
import { isUsableX25519PublicKey } from '@airlock/crypto';
import { text } from './text.schema';

/** Compact JWE (five base64url parts); the header is checked again where the key is used. */
const compactJwe = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a compact JWE')
  .meta({ examples: ['eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00ifQ.d3JhcHBlZA.aXY.Y2lwaGVydGV4dA.dGFn'] });

const sha256Hex = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters')
  .meta({ examples: ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'] });

/** A uuid the api issued (media, grants). */
const uuid = z.uuid();

export const publicJwkSchema = z
  .object({
    kty: z.literal('OKP'),
    crv: z.literal('X25519'),
    /** Checked as a key, not only a shape: a key nothing can be wrapped to is refused here, not mid-request. */
    x: z
      .string()
      .refine(isUsableX25519PublicKey, 'must be an X25519 public key: 43 base64url characters encoding 32 bytes, not a low-order point')
      .meta({ pattern: '^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$', examples: ['hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo'] }),
    kid: text.max(200).optional(),
    alg: z.literal('ECDH-ES+A256KW').optional(),
    use: z.literal('enc').optional(),
  })
  // Strict: a private part (`d`) sent by mistake is refused, not silently stored.
  .strict()
  .meta({ id: 'PublicJwk', description: 'An X25519 public key (JWK), the recipient of a wrapped key.' });

export const createMediaSchema = z
  .object({
    messageId: text.min(1).max(200).optional(),
    roomId: text.min(1).max(200).optional(),
    profiles: z.array(text.min(1).max(40)).min(1).max(16).optional(),
    /** Who may play the outputs: each gets the output key wrapped to their public key. */
    recipients: z
      .array(z.object({ id: text.min(1).max(200), publicJwk: publicJwkSchema }))
      .min(1)
      .max(256),
    source: z.object({
      /** Size and sha256 of the ciphertext that will be uploaded. */
      sizeBytes: z.number().int().positive(),
      sha256: sha256Hex,
      /** The content key, JWE-wrapped to the pipeline key from GET /v1/keys. */
      contentKeyJwe: compactJwe,
    }),
  })
  .meta({ id: 'CreateMediaRequest' });
export type CreateMediaRequest = z.infer<typeof createMediaSchema>;

export const uploadTargetSchema = z
  .object({
    url: z.string(),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.string(),
  })
  .meta({ id: 'UploadTarget' });
export type UploadTarget = z.infer<typeof uploadTargetSchema>;

export const createMediaResponseSchema = z.object({ id: z.string(), state: z.string(), upload: uploadTargetSchema }).meta({ id: 'CreateMediaResponse' });
export type CreateMediaResponse = z.infer<typeof createMediaResponseSchema>;

/** The answer of the state-changing calls on one media (upload-complete, re-drive, delete). */
export const mediaStateResponseSchema = z.object({ id: z.string(), state: z.string() }).meta({ id: 'MediaState' });

const playlistsSchema = z.object({ hls: z.string(), dash: z.string() });

export const mediaViewSchema = z
  .object({
    id: z.string(),
    state: z.string(),
    recipientStatus: z.string(),
    progress: z.object({ done: z.number().int(), total: z.number().int() }),
    probe: z
      .object({ durationClass: z.string().nullable(), width: z.number().int().optional(), height: z.number().int().optional(), hasAudio: z.boolean().optional() })
      .optional(),
    renditions: z.array(z.object({ name: z.string(), ready: z.boolean() })),
    manifests: playlistsSchema.optional(),
    /** Chat files (poster, animated preview, MP4) when ready: sealed blobs, opened with the output key. */
    files: z.array(z.object({ name: z.string(), url: z.string(), sha256: z.string(), sizeBytes: z.number().int(), contentType: z.string() })).optional(),
    /** The lowest rung and audio, whole length: verified and playable before the rest of the ladder. */
    early: z.object({ renditions: z.array(z.string()), hls: z.string(), dash: z.string() }).optional(),
    /** The muted preview (first seconds, 360p), available from `preview_ready` on. */
    preview: playlistsSchema.optional(),
    failure: z.object({ code: z.string(), message: z.string() }).optional(),
    /** The output key id and the output key wrapped to each recipient. */
    keyId: z.string(),
    keys: z.array(z.object({ recipientId: z.string(), jwe: z.string() })),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'MediaView' });
export type MediaView = z.infer<typeof mediaViewSchema>;

export const listMediaQuerySchema = z.object({
  roomId: text.min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: uuid.optional(),
});
export type ListMediaQuery = z.infer<typeof listMediaQuerySchema>;

export const mediaListSchema = z
  .object({
    items: z.array(z.object({ id: z.string(), state: z.string(), recipientStatus: z.string(), roomId: z.string().optional(), createdAt: z.string() })),
    nextCursor: z.string().optional(),
  })
  .meta({ id: 'MediaList' });
export type MediaList = z.infer<typeof mediaListSchema>;

/** Support's view of one media: states, decisions and reasons, never content. */
export const mediaTimelineSchema = z
  .object({
    id: z.string(),
    events: z.array(z.object({ at: z.string(), type: z.string(), from: z.string().nullable(), to: z.string().nullable(), reason: z.string().nullable(), data: z.unknown() })),
    attempts: z.array(
      z.object({
        at: z.string(),
        task: z.string(),
        attempt: z.number().int(),
        workerId: z.string(),
        state: z.string(),
        encoderPath: z.string().nullable(),
        reason: z.string().nullable(),
        finishedAt: z.string().nullable(),
      }),
    ),
    verification: z.object({
      outputsPassed: z.number().int(),
      refusals: z.array(
        z.object({
          at: z.string(),
          reason: z.string().nullable(),
          detail: z.string().nullable(),
          key: z.string().nullable(),
          taskId: z.string().nullable(),
          attemptId: z.string().nullable(),
          workerId: z.string().nullable(),
        }),
      ),
    }),
  })
  .meta({ id: 'MediaTimeline' });
export type MediaTimeline = z.infer<typeof mediaTimelineSchema>;

export const apiErrorSchema = z
  .object({
    error: z.object({
      /** Stable, machine-readable; each operation lists the codes it can answer. */
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'ApiError', description: 'Every error answer: a stable code, a message for people, and details where they help.' });
export type ApiError = z.infer<typeof apiErrorSchema>;

/** The JWKS of the pipeline key: senders wrap content keys to it. */
export const jwksSchema = z.object({ keys: z.array(publicJwkSchema) }).meta({ id: 'Jwks' });

const jobToken = z.string().min(20).max(4096);

export const grantRequestSchema = z
  .object({
    token: jobToken,
    ephemeralPublicJwk: publicJwkSchema,
    /** The queue job the attempt runs in: the watchdog hands it back when the attempt goes silent. */
    queueJob: z.object({ queue: text.min(1).max(64), id: text.min(1).max(200) }).optional(),
  })
  .meta({ id: 'GrantRequest' });

/** The verifier asks for the output key (deep checks): its own signed token and an ephemeral key. */
export const verifierGrantRequestSchema = z.object({ token: jobToken, ephemeralPublicJwk: publicJwkSchema }).meta({ id: 'VerifierGrantRequest' });

export const verifierGrantResponseSchema = z
  .object({
    expiresAt: z.string(),
    /** The media's output key, JWE-wrapped to the verifier's ephemeral key. No content key: the verifier never sees the source. */
    outputKeyJwe: z.string(),
    outputKeyId: z.string(),
  })
  .meta({ id: 'VerifierGrantResponse' });
export type VerifierGrantResponse = z.infer<typeof verifierGrantResponseSchema>;

/** A heartbeat of a running attempt; the answer says whether it may go on. */
export const heartbeatRequestSchema = z.object({ token: jobToken }).meta({ id: 'HeartbeatRequest' });

export const heartbeatResponseSchema = z
  .object({
    /** false: stop now (media deleted or failed, grant revoked, or a newer attempt took the task). */
    live: z.boolean(),
    reason: z.string().optional(),
  })
  .meta({ id: 'HeartbeatResponse' });
export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;

/** Releasing a grant ends the attempt; a failed one says why (a reason code, never content). */
export const releaseRequestSchema = z
  .object({
    token: jobToken,
    outcome: z.object({ ok: z.boolean(), code: text.max(80).optional() }).optional(),
  })
  .meta({ id: 'ReleaseRequest' });

export const releaseResponseSchema = z.object({ released: z.literal(true) }).meta({ id: 'ReleaseResponse' });

export const grantResponseSchema = z
  .object({
    grantId: z.string(),
    expiresAt: z.string(),
    /** Content and output keys, each JWE-wrapped to the attempt's ephemeral key. */
    contentKeyJwe: z.string(),
    outputKeyJwe: z.string(),
    outputKeyId: z.string(),
    source: z.object({ url: z.string(), sha256: z.string(), sizeBytes: z.number().int() }),
  })
  .meta({ id: 'GrantResponse' });
export type GrantResponse = z.infer<typeof grantResponseSchema>;

export const uploadRequestSchema = z
  .object({
    token: jobToken,
    files: z
      .array(
        z.object({
          kind: z.enum(['init', 'media', 'file']),
          rendition: text.min(1).max(40),
          segmentIndex: z.number().int().min(-1),
          sha256: sha256Hex,
          /** The exact length of the bytes to upload: the URL is bound to it, its sha256 and create-only. */
          sizeBytes: z.number().int().positive(),
        }),
      )
      .min(1)
      .max(2000),
  })
  .meta({ id: 'UploadRequest' });

/** Each upload is a create-only PUT bound to the declared sha256 and length: send `headers` exactly as given. */
export const uploadResponseSchema = z
  .object({ uploads: z.array(z.object({ key: z.string(), url: z.string(), headers: z.record(z.string(), z.string()) })) })
  .meta({ id: 'UploadResponse' });
export type UploadResponse = z.infer<typeof uploadResponseSchema>;

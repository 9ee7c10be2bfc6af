import { z } from 'zod';
import { PROBE_SHORT_LANE_MAX_BYTES, WORK_LANES, WORKER_CLASSES } from '@airlock/domain';
import { LOCAL_DATABASE_URL, refuseDevelopmentSecrets } from './production-secrets';
import { rateLimitEnv, refusePrivateTargetsInProduction, webhookTargetEnv } from './edge-protection.config';

const jsonObject = (what: string) =>
  z.string().transform((s, ctx) => {
    try {
      const v = JSON.parse(s) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: `must be ${what} as JSON` });
    return z.NEVER;
  });

/** The worker fleet's public Ed25519 JWKs (JSON array): job tokens and reports are signed with its key. */
const publicJwks = z.string().transform((s, ctx) => {
  try {
    const v = JSON.parse(s) as unknown;
    if (Array.isArray(v) && v.length > 0) return v as Record<string, unknown>[];
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'must be a JSON array of public JWKs' });
  return z.NEVER;
});

/** The dishonest worker's lies (the verifier's tampering suite). */
export const TAMPER_MODES = ['swap_bytes', 'truncate', 'skip_segment', 'wrong_duration', 'other_attempt_key', 'no_receipt', 'foreign_media', 'foreign_bytes', 'corrupt_payload', 'edit_after_signing'] as const;

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/**
 * Shared by every service: where state lives. Local defaults match `scripts/stack.sh`; each
 * service's schema refuses the secret ones with NODE_ENV=production (production-secrets.ts).
 */
export const baseEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().default(LOCAL_DATABASE_URL),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
  /** Postgres connections per service process (the api's grant exchanges come in bursts). */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('airlock'),
  S3_ENDPOINT: z.string().url().default('http://127.0.0.1:9000'),
  /** Base URL clients use to fetch objects (differs from S3_ENDPOINT behind a proxy or in compose). */
  S3_PUBLIC_URL: z.string().url().optional(),
  S3_ACCESS_KEY: z.string().min(1).default('S3RVER'),
  S3_SECRET_KEY: z.string().min(1).default('S3RVER'),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{2,62}$/).default('airlock'),
  /** s3rver rejects the minio client's multipart uploads; local mode uploads in one part. */
  S3_SINGLE_PART: bool(true),
  HTTP_HOST: z.string().default('127.0.0.1'),
  /**
   * A job's lock lifetime for every queue: a consumer that vanished loses its job within this plus
   * half of it. Unset: 6 s on the control queues (record, publish, verify, manifest) and 30 s on
   * the work lanes, whose dead attempts the watchdog finds sooner (libs/queue lockOptions).
   */
  QUEUE_LOCK_MS: z.coerce.number().int().min(2000).max(600_000).optional(),
  /** On SIGTERM, running jobs get this long to finish; then they are aborted and handed back (keep under the pod's terminationGracePeriodSeconds). */
  SHUTDOWN_GRACE_SEC: z.coerce.number().min(0).max(3600).default(25),
  /** Per-tenant media policies (JSON); every tenant gets the defaults when unset. */
  TENANT_POLICIES_FILE: z.string().min(1).optional(),
  /** Spans go nowhere, to an OTLP/HTTP collector, or to JSON lines under TRACE_DIR (tests). */
  TRACES_EXPORTER: z.enum(['none', 'otlp', 'file']).default('none'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().default('http://127.0.0.1:4318'),
  TRACE_DIR: z.string().min(1).optional(),
});
export type BaseConfig = z.infer<typeof baseEnvSchema>;

export const apiEnvSchema = baseEnvSchema.extend({
  HTTP_PORT: port(3000),
  ADMIN_USER: z.string().min(1).default('admin'),
  ADMIN_PASSWORD: z.string().min(8).default('airlock-admin'),
  /** Support staff see the queues read-only at /admin/support/queues; unset (both), no support board. */
  SUPPORT_USER: z.string().min(1).optional(),
  SUPPORT_PASSWORD: z.string().min(8).optional(),
  UPLOAD_URL_TTL_SEC: z.coerce.number().int().positive().max(7 * 24 * 3600).default(900),
  /** Tenants and their API keys, `tenantId:apiKey,...`; stored hashed. The default is for local runs only. */
  TENANT_KEYS: z.string().min(3).default('dev:airlock-dev-key'),
  /** The key service's private X25519 JWK (JSON, from a secret; `airlock up` makes a local one). */
  PIPELINE_PRIVATE_JWK: jsonObject('a private X25519 JWK'),
  /** Public Ed25519 JWKs (JSON array) whose signatures on job tokens the grant exchange accepts. */
  WORKER_PUBLIC_JWKS: publicJwks,
  /** The verifier's public keys: deep checks' grants go only to tokens they sign. Unset: no verifier grants. */
  VERIFIER_PUBLIC_JWKS: publicJwks.optional(),
  /** Ceiling on a job token's lifetime (the policy's worker_key_ttl_seconds cannot exceed it). */
  GRANT_MAX_TTL_SEC: z.coerce.number().int().min(10).max(3600).default(900),
  /** Presigned URLs in grants live no longer than this. */
  GRANT_URL_TTL_SEC: z.coerce.number().int().min(10).max(3600).default(600),
  /**
   * How far a worker's or verifier's clock may run ahead of the api's: a token issued further in
   * the future is refused, and one may expire at most its policy's TTL plus this from now.
   */
  GRANT_CLOCK_SKEW_SEC: z.coerce.number().int().min(0).max(300).default(30),
  ...webhookTargetEnv,
  ...rateLimitEnv,
}).superRefine(refusePrivateTargetsInProduction).check(
  refuseDevelopmentSecrets(['DATABASE_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'TENANT_KEYS', 'ADMIN_USER', 'ADMIN_PASSWORD', 'SUPPORT_PASSWORD', 'PIPELINE_PRIVATE_JWK', 'WORKER_PUBLIC_JWKS', 'VERIFIER_PUBLIC_JWKS']),
);
export type ApiConfig = z.infer<typeof apiEnvSchema>;

export const orchestratorEnvSchema = baseEnvSchema.extend({
  HTTP_PORT: port(3001),
  /** Webhook delivery: how often due events are looked for, how long a receiver may take, and the retry schedule. */
  WEBHOOK_POLL_MS: z.coerce.number().int().min(10).default(500),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  WEBHOOK_BACKOFF_BASE_MS: z.coerce.number().int().min(1).default(1000),
  WEBHOOK_BACKOFF_CAP_MS: z.coerce.number().int().min(1).default(10 * 60_000),
  /** After this many failed deliveries an event is `failed` (replayable through the api). */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  SHORT_LANE_MAX_SEC: z.coerce.number().positive().default(60),
  /** Sources up to this size probe on the short lane, larger ones on the long lane (libs/domain lanes.ts). */
  PROBE_SHORT_LANE_MAX_BYTES: z.coerce.number().int().positive().default(PROBE_SHORT_LANE_MAX_BYTES),
  /**
   * Heavy rungs (4K, HEVC, HDR) go to the `gpu` lane, which hardware workers serve. Off by
   * default: every task stays on its media's lane, so a CPU-only fleet strands nothing. Turn it
   * on only where nvenc/qsv/vaapi workers run (or cpu workers list `gpu` in WORKER_LANES).
   */
  GPU_LANE: bool(false),
  /**
   * A segment's H.264 rungs above the lowest are encoded in one FFmpeg run (the source fetched
   * and decoded once; each rung still its own task, attempt and report). Off: one run per rung.
   */
  GROUP_RUNGS: bool(true),
  TASK_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  SWEEP_EVERY_SEC: z.coerce.number().int().min(1).default(300),
  /** How far back the sweeper looks at ended media (presigned URLs live at most an hour). */
  SWEEP_LOOKBACK_SEC: z.coerce.number().int().min(60).default(2 * 3600),
  /** A media never uploaded is expired (and any partial source purged) this long after its upload URL expired. */
  UPLOAD_GRACE_SEC: z.coerce.number().int().min(0).default(3600),
  CONCURRENCY: z.coerce.number().int().min(1).default(8),
  /**
   * A running attempt whose last heartbeat is older than this loses its task to a new attempt:
   * three of the workers' heartbeats (HEARTBEAT_SEC, 2). With the watchdog every second and the
   * task's 1 s backoff, a dead worker's task runs again within 8 s.
   */
  ATTEMPT_SILENCE_SEC: z.coerce.number().int().min(2).default(6),
  WATCHDOG_EVERY_SEC: z.coerce.number().int().min(1).default(1),
  /** How often Postgres (the truth) is reconciled with Redis besides at start: a flushed Redis loses nothing. */
  RECONCILE_EVERY_SEC: z.coerce.number().int().min(1).default(30),
  /** Only media that made no progress for this long are reconciled (a planner between commit and enqueue is not raced). */
  RECONCILE_GRACE_SEC: z.coerce.number().int().min(1).default(10),
  ...webhookTargetEnv,
}).superRefine(refusePrivateTargetsInProduction).check(refuseDevelopmentSecrets(['DATABASE_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY']));
export type OrchestratorConfig = z.infer<typeof orchestratorEnvSchema>;

export const workerEnvSchema = baseEnvSchema.extend({
  HTTP_PORT: port(3002),
  WORKER_ID: z.string().min(1).optional(),
  /**
   * Attempt temp dirs live under this root (tmpfs when available), in one private directory per
   * worker process; workers on a host share the root and wipe only directories whose owner is gone.
   */
  WORKER_TMP_ROOT: z.string().min(1).optional(),
  /** Every live worker sweeps the root this often (and at start): a killed worker's plaintext is gone within one period. */
  WORKER_ORPHAN_SWEEP_SEC: z.coerce.number().min(0.2).max(10).default(5),
  /**
   * A directory whose owner this worker cannot check (another host or container on a shared
   * volume), or that has no owner record, is wiped after this long without a sign of life (owners
   * refresh their record every sweep). At least 30 s: three sweep periods at the longest.
   */
  WORKER_ORPHAN_STALE_SEC: z.coerce.number().int().min(30).max(86_400).default(60),
  /**
   * Lanes this worker consumes, comma separated (short, long, gpu). Hardware classes serve
   * `gpu` as well whatever this says; a cpu worker serves it only when listed here.
   */
  WORKER_LANES: z
    .string()
    .default('short,long')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(WORK_LANES)).min(1)),
  CONCURRENCY: z.coerce.number().int().min(1).default(2),
  /** The worker's encoder class; `auto` smoke-tests NVENC, QSV and VAAPI at start and falls back to the CPU. */
  WORKER_ACCEL: z.enum(['auto', 'cpu', 'nvenc', 'qsv', 'vaapi']).default('auto'),
  /**
   * The class this worker declares (metrics label, lanes served). Unset: WORKER_ACCEL's, or the
   * one detection finds. `null` writes tiny valid outputs without FFmpeg, for benchmarks and tests:
   * refused in production unless ALLOW_NULL_ENCODER=1.
   */
  WORKER_CLASS: z.enum(WORKER_CLASSES).optional(),
  ALLOW_NULL_ENCODER: bool(false),
  /** Null class only (scale models): answer every probe with this probe (JSON) instead of ffprobe's. */
  NULL_ENCODER_PROBE: jsonObject('a probe').optional(),
  /** Null class only (scale models): milliseconds to sleep per task, by rendition or file profile name, `*` for the rest (JSON). */
  NULL_ENCODER_DELAY_MS: jsonObject('an object of milliseconds by rendition').optional(),
  FFMPEG_TIMEOUT_SEC: z.coerce.number().int().positive().default(1800),
  /** Where grants are exchanged (the api). */
  API_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** The fleet's private Ed25519 JWK (JSON) that signs job tokens. */
  WORKER_SIGNING_JWK: jsonObject('a private Ed25519 JWK'),
  /** Lifetime of a job token (and so of the grant it buys). */
  WORKER_KEY_TTL_SEC: z.coerce.number().int().min(10).max(3600).default(600),
  /**
   * A running attempt tells the api it is alive this often (a third of the orchestrator's
   * ATTEMPT_SILENCE_SEC). Heartbeats run on the event loop while FFmpeg works in its own process.
   */
  HEARTBEAT_SEC: z.coerce.number().min(0.2).max(60).default(2),
  /** A quarantined worker stands down this long before it asks for work again. */
  QUARANTINE_RECHECK_SEC: z.coerce.number().min(1).default(60),
  /** Test only (refused in production): play a dishonest worker that lies about one rendition's segments. */
  WORKER_TAMPER: z.enum(TAMPER_MODES).optional(),
  WORKER_TAMPER_RENDITION: z.string().default('240p'),
  /** `foreign_media`: the key of another media's segment to report. */
  WORKER_TAMPER_FOREIGN_KEY: z.string().optional(),
  /** `foreign_bytes`: files holding another media's segments (`{index}` is the segment's), uploaded as this one's. */
  WORKER_TAMPER_FOREIGN_FILE: z.string().optional(),
}).superRefine((env, ctx) => {
  if (env.WORKER_TAMPER && env.NODE_ENV === 'production') {
    ctx.addIssue({ code: 'custom', path: ['WORKER_TAMPER'], message: 'fault injection for the verifier tests: refused in production' });
  }
  if (env.WORKER_CLASS === 'null' && env.NODE_ENV === 'production' && !env.ALLOW_NULL_ENCODER) {
    ctx.addIssue({ code: 'custom', path: ['WORKER_CLASS'], message: 'the null encoder writes no real media: refused in production (set ALLOW_NULL_ENCODER=1 to insist)' });
  }
  if ((env.NULL_ENCODER_PROBE || env.NULL_ENCODER_DELAY_MS) && env.WORKER_CLASS !== 'null') {
    ctx.addIssue({ code: 'custom', path: ['WORKER_CLASS'], message: 'NULL_ENCODER_PROBE and NULL_ENCODER_DELAY_MS need WORKER_CLASS=null' });
  }
  const accel = env.WORKER_ACCEL;
  if (env.WORKER_CLASS && accel !== 'auto' && env.WORKER_CLASS !== 'null' && env.WORKER_CLASS !== accel) {
    ctx.addIssue({ code: 'custom', path: ['WORKER_CLASS'], message: `contradicts WORKER_ACCEL=${accel}` });
  }
}).check(refuseDevelopmentSecrets(['WORKER_SIGNING_JWK']));
export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export const verifierEnvSchema = baseEnvSchema.extend({
  HTTP_PORT: port(3003),
  CONCURRENCY: z.coerce.number().int().min(1).default(4),
  /** The worker fleet's public keys: every report must carry a valid signature of one of them. */
  WORKER_PUBLIC_JWKS: publicJwks,
  /** The verifier's private Ed25519 JWK: it signs the requests for its own grants (deep checks). Unset: no deep checks. */
  VERIFIER_SIGNING_JWK: jsonObject('a private Ed25519 JWK').optional(),
  /** Where the verifier asks for its grants (the api). */
  API_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** A report's bitrate may exceed its rung's by this factor before the verifier calls it out of bounds. */
  VERIFY_BITRATE_FACTOR: z.coerce.number().min(1).default(4),
}).check(refuseDevelopmentSecrets(['DATABASE_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'WORKER_PUBLIC_JWKS', 'VERIFIER_SIGNING_JWK']));
export type VerifierConfig = z.infer<typeof verifierEnvSchema>;

export const manifesterEnvSchema = baseEnvSchema.extend({
  HTTP_PORT: port(3004),
  CONCURRENCY: z.coerce.number().int().min(1).default(4),
}).check(refuseDevelopmentSecrets(['S3_ACCESS_KEY', 'S3_SECRET_KEY']));
export type ManifesterConfig = z.infer<typeof manifesterEnvSchema>;

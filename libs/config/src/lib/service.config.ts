import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** Shared by every service: where state lives. Local defaults match `scripts/stack.sh`. */
export const baseEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/airlock'),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
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
});
export type BaseConfig = z.infer<typeof baseEnvSchema>;

export const apiEnvSchema = baseEnvSchema.extend({
  HTTP_PORT: port(3000),
  ADMIN_USER: z.string().min(1).default('admin'),
  ADMIN_PASSWORD: z.string().min(8).default('airlock-admin'),
  UPLOAD_URL_TTL_SEC: z.coerce.number().int().positive().max(7 * 24 * 3600).default(900),
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(4 * 1024 * 1024 * 1024),
  /** Tenants and their API keys, `tenantId:apiKey,...`; stored hashed. The default is for local runs only. */
  TENANT_KEYS: z.string().min(3).default('dev:airlock-dev-key'),
  /** The key service's private X25519 JWK (JSON). Required in production; local runs keep one in PIPELINE_KEY_FILE. */
  PIPELINE_PRIVATE_JWK: z.string().min(10).optional(),
  PIPELINE_KEY_FILE: z.string().min(1).default('.airlock/pipeline-key.json'),
});
export type ApiConfig = z.infer<typeof apiEnvSchema>;

export const orchestratorEnvSchema = baseEnvSchema.extend({
  HTTP_PORT: port(3001),
  SHORT_LANE_MAX_SEC: z.coerce.number().positive().default(60),
  TASK_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  CONCURRENCY: z.coerce.number().int().min(1).default(8),
});
export type OrchestratorConfig = z.infer<typeof orchestratorEnvSchema>;

export const workerEnvSchema = baseEnvSchema.extend({
  HTTP_PORT: port(3002),
  WORKER_ID: z.string().min(1).optional(),
  /** Attempt temp dirs live here (tmpfs when available); wiped at start-up. */
  WORKER_TMP_ROOT: z.string().min(1).optional(),
  /** Lanes this worker consumes, comma separated. */
  WORKER_LANES: z
    .string()
    .default('short,long')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['short', 'long'])).min(1)),
  CONCURRENCY: z.coerce.number().int().min(1).default(2),
  FFMPEG_TIMEOUT_SEC: z.coerce.number().int().positive().default(1800),
});
export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export const verifierEnvSchema = baseEnvSchema.extend({
  HTTP_PORT: port(3003),
  CONCURRENCY: z.coerce.number().int().min(1).default(4),
});
export type VerifierConfig = z.infer<typeof verifierEnvSchema>;

export const manifesterEnvSchema = baseEnvSchema.extend({
  HTTP_PORT: port(3004),
  CONCURRENCY: z.coerce.number().int().min(1).default(4),
});
export type ManifesterConfig = z.infer<typeof manifesterEnvSchema>;

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicReadPrefixes } from '@airlock/domain';
import { createPrismaClient, PrismaClient } from '@airlock/db';
import { createTestSchema, ensurePostgres, generateLocalKeys, LocalKeys, workspaceRoot } from '@airlock/devstack';
import { QueueConnection } from '@airlock/queue';
import { LOCAL_S3_CREDENTIALS, LocalS3, ObjectStore, startLocalS3 } from '@airlock/storage';

export interface IntegrationEnv {
  readonly root: string;
  readonly databaseUrl: string;
  readonly schema: string;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly s3Endpoint: string;
  readonly bucket: string;
  /** Environment for spawning services against this isolated world (keys are added per service). */
  readonly env: Record<string, string>;
  readonly db: PrismaClient;
  readonly store: ObjectStore;
  readonly queues: QueueConnection;
  readonly tmp: string;
  /** This world's key-service and worker-fleet keys (tests act as sender, recipient or attacker with them). */
  readonly keys: LocalKeys;
  close(): Promise<void>;
}

const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/airlock_test';
const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * One isolated world per test file, on the real services: its own Postgres schema with the
 * committed migrations, its own Redis key prefix, its own s3rver and bucket, its own temp dir.
 */
export async function startIntegrationEnv(name: string): Promise<IntegrationEnv> {
  const root = workspaceRoot(__dirname);
  const id = `${name.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const schema = `t_${id}`;
  const prefix = `t-${id}`;
  const bucket = `airlock-${id.replace(/_/g, '-')}`;
  const tmp = mkdtempSync(join(tmpdir(), `airlock-${name}-`));

  await ensurePostgres(TEST_DATABASE_URL, () => undefined);
  const dropSchema = await createTestSchema(root, TEST_DATABASE_URL, schema);
  const s3: LocalS3 = await startLocalS3({ directory: join(tmp, 's3'), buckets: [bucket], publicReadPrefixes });
  const db = createPrismaClient({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 4 });
  const store = new ObjectStore({ endpoint: s3.endpoint, ...LOCAL_S3_CREDENTIALS, region: 'us-east-1', bucket, singlePart: true });
  const queues = new QueueConnection({ redisUrl: TEST_REDIS_URL, prefix });
  const keys = await generateLocalKeys();

  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY: LOCAL_S3_CREDENTIALS.accessKey,
    S3_SECRET_KEY: LOCAL_S3_CREDENTIALS.secretKey,
    S3_SINGLE_PART: 'true',
  };

  return {
    root,
    databaseUrl: TEST_DATABASE_URL,
    schema,
    redisUrl: TEST_REDIS_URL,
    prefix,
    s3Endpoint: s3.endpoint,
    bucket,
    env,
    db,
    store,
    queues,
    tmp,
    keys,
    async close() {
      await obliterateQueues(queues);
      await queues.close();
      await db.$disconnect();
      await s3.close();
      await dropSchema();
      // AIRLOCK_KEEP_TMP=1 keeps service logs and scratch files for a failing run.
      if (!process.env['AIRLOCK_KEEP_TMP']) rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Remove every key under this test's prefix so Redis is left as found. */
async function obliterateQueues(queues: QueueConnection): Promise<void> {
  const pattern = `${queues.settings.prefix}:*`;
  let cursor = '0';
  do {
    const [next, keys] = await queues.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length) await queues.redis.del(...keys);
  } while (cursor !== '0');
}

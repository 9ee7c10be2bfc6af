import type { JWK } from 'jose';
import { loadEnv, verifierEnvSchema } from '@airlock/config';
import { createPrismaClient } from '@airlock/db';
import { QueueConnection, SERVICE_QUEUES } from '@airlock/queue';
import { failBoot, runQueueConsumer } from '@airlock/runtime';
import { ObjectStore, storageSettingsFrom } from '@airlock/storage';
import { VerifyHandler } from './verify.handler';

async function main() {
  const config = loadEnv(verifierEnvSchema);
  const store = new ObjectStore(storageSettingsFrom(config));
  const db = createPrismaClient({ databaseUrl: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE });
  const verify = new VerifyHandler(db, store, {
    workerPublicJwks: config.WORKER_PUBLIC_JWKS as unknown as JWK[],
    bitrateFactor: config.VERIFY_BITRATE_FACTOR,
    ...(config.VERIFIER_SIGNING_JWK ? { deep: { signingJwk: config.VERIFIER_SIGNING_JWK as unknown as JWK, apiUrl: config.API_URL } } : {}),
  });
  await runQueueConsumer({
    service: 'verifier',
    config,
    connection: new QueueConnection({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX }),
    queues: SERVICE_QUEUES.verifier,
    handlers: { 'outputs.verify': (d, ctx) => verify.handle(d, ctx) },
    checks: async () => ({ storage: await store.ping(), postgres: await db.$queryRaw`SELECT 1`.then(() => true, () => false) }),
    drain: () => db.$disconnect(),
  });
}

main().catch((e) => failBoot('verifier', e));

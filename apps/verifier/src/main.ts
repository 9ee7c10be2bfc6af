import { loadEnv, verifierEnvSchema } from '@airlock/config';
import { QueueConnection, SERVICE_QUEUES } from '@airlock/queue';
import { failBoot, runQueueConsumer } from '@airlock/runtime';
import { ObjectStore, storageSettingsFrom } from '@airlock/storage';
import { VerifyHandler } from './verify.handler';

async function main() {
  const config = loadEnv(verifierEnvSchema);
  const store = new ObjectStore(storageSettingsFrom(config));
  const verify = new VerifyHandler(store);
  await runQueueConsumer({
    service: 'verifier',
    config,
    connection: new QueueConnection({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX }),
    queues: SERVICE_QUEUES.verifier,
    handlers: { 'outputs.verify': (d, ctx) => verify.handle(d, ctx) },
    checks: async () => ({ storage: await store.ping() }),
  });
}

main().catch((e) => failBoot('verifier', e));

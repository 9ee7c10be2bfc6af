import { loadEnv, manifesterEnvSchema } from '@airlock/config';
import { QueueConnection, SERVICE_QUEUES } from '@airlock/queue';
import { failBoot, runQueueConsumer } from '@airlock/runtime';
import { ObjectStore, storageSettingsFrom } from '@airlock/storage';
import { ManifestHandler } from './manifest.handler';

async function main() {
  const config = loadEnv(manifesterEnvSchema);
  const store = new ObjectStore(storageSettingsFrom(config));
  const manifest = new ManifestHandler(store);
  await runQueueConsumer({
    service: 'manifester',
    config,
    connection: new QueueConnection({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX }),
    queues: SERVICE_QUEUES.manifester,
    handlers: { 'manifest.write': (d, ctx) => manifest.handle(d, ctx) },
    checks: async () => ({ storage: await store.ping() }),
  });
}

main().catch((e) => failBoot('manifester', e));

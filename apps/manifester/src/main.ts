import { Module } from '@nestjs/common';
import { loadEnv, manifesterEnvSchema } from '@airlock/config';
import { QueueConnection, SERVICE_QUEUES, WorkerHost } from '@airlock/queue';
import { bootstrapService, failBoot } from '@airlock/runtime';
import { ObjectStore, storageSettingsFrom } from '@airlock/storage';
import { createLogger } from '@airlock/telemetry';
import { ManifestHandler } from './manifest.handler';

@Module({})
class ManifesterModule {}

async function main() {
  const config = loadEnv(manifesterEnvSchema);
  const store = new ObjectStore(storageSettingsFrom(config));
  const queues = new QueueConnection({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const host = new WorkerHost(queues, createLogger('manifester', config.LOG_LEVEL));
  const manifest = new ManifestHandler(store);

  await bootstrapService({
    service: 'manifester',
    module: ManifesterModule,
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    logLevel: config.LOG_LEVEL,
    checks: async () => ({ redis: await queues.ping(), storage: await store.ping() }),
    drain: async () => {
      await host.close();
      await queues.close();
    },
  });
  host.start('manifester', SERVICE_QUEUES.manifester, { 'manifest.write': (d, ctx) => manifest.handle(d, ctx) }, { concurrency: config.CONCURRENCY, lockDurationMs: config.QUEUE_LOCK_MS });
}

main().catch((e) => failBoot('manifester', e));

import { Module } from '@nestjs/common';
import { loadEnv, verifierEnvSchema } from '@airlock/config';
import { QueueConnection, SERVICE_QUEUES, WorkerHost } from '@airlock/queue';
import { bootstrapService, failBoot } from '@airlock/runtime';
import { ObjectStore, storageSettingsFrom } from '@airlock/storage';
import { createLogger } from '@airlock/telemetry';
import { VerifyHandler } from './verify.handler';

@Module({})
class VerifierModule {}

async function main() {
  const config = loadEnv(verifierEnvSchema);
  const store = new ObjectStore(storageSettingsFrom(config));
  const queues = new QueueConnection({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const host = new WorkerHost(queues, createLogger('verifier', config.LOG_LEVEL));
  const verify = new VerifyHandler(store);

  await bootstrapService({
    service: 'verifier',
    module: VerifierModule,
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    logLevel: config.LOG_LEVEL,
    checks: async () => ({ redis: await queues.ping(), storage: await store.ping() }),
    drain: async () => {
      await host.close();
      await queues.close();
    },
  });
  host.start('verifier', SERVICE_QUEUES.verifier, { 'outputs.verify': (d, ctx) => verify.handle(d, ctx) }, { concurrency: config.CONCURRENCY, lockDurationMs: config.QUEUE_LOCK_MS });
}

main().catch((e) => failBoot('verifier', e));

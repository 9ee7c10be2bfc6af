import { loadEnv, loadTenantPolicies, orchestratorEnvSchema } from '@airlock/config';
import { JobName } from '@airlock/contracts';
import { createPrismaClient } from '@airlock/db';
import { QueueConnection, SERVICE_QUEUES } from '@airlock/queue';
import { failBoot, runQueueConsumer } from '@airlock/runtime';
import { ObjectStore, storageSettingsFrom } from '@airlock/storage';
import { PlanHandler } from './handlers/plan.handler';
import { PreviewHandler } from './handlers/preview.handler';
import { PublishHandler } from './handlers/publish.handler';
import { RecordHandler } from './handlers/record.handler';
import { StartHandler } from './handlers/start.handler';
import { SweepHandler } from './handlers/sweep.handler';

async function main() {
  const config = loadEnv(orchestratorEnvSchema);
  const db = createPrismaClient({ databaseUrl: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  const queues = new QueueConnection({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const store = new ObjectStore(storageSettingsFrom(config));

  const start = new StartHandler(db, queues, config.TASK_ATTEMPTS, loadTenantPolicies(config.TENANT_POLICIES_FILE));
  const plan = new PlanHandler(db, queues, { shortLaneMaxSec: config.SHORT_LANE_MAX_SEC, taskAttempts: config.TASK_ATTEMPTS });
  const record = new RecordHandler(db);
  const publish = new PublishHandler(db, store);
  const preview = new PreviewHandler(db);
  const sweep = new SweepHandler(db, store, { lookbackMs: config.SWEEP_LOOKBACK_SEC * 1000, batch: 200 });

  await runQueueConsumer({
    service: 'orchestrator',
    config,
    connection: queues,
    queues: SERVICE_QUEUES.orchestrator,
    handlers: {
      'media.start': (d) => start.handle(d),
      'media.plan': (d, ctx) => plan.handle(d, ctx),
      'task.record': (d, ctx) => record.handle(d, ctx),
      'media.publish': (d, ctx) => publish.handle(d, ctx),
      'media.preview': (d, ctx) => preview.handle(d, ctx),
      'sweep.run': () => sweep.handle(),
    },
    checks: async () => ({ postgres: await db.$queryRaw`SELECT 1`.then(() => true, () => false) }),
    drain: () => db.$disconnect(),
  });
  // One schedule however many replicas run; each run is one job on the orchestrator queue.
  await queues.schedule('lifecycle-sweep', JobName.SweepRun, {}, config.SWEEP_EVERY_SEC * 1000);
}

main().catch((e) => failBoot('orchestrator', e));

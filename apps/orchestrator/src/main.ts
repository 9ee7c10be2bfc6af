import { loadEnv, loadTenantPolicies, orchestratorEnvSchema } from '@airlock/config';
import { JobName } from '@airlock/contracts';
import { createPrismaClient } from '@airlock/db';
import { QueueConnection, SERVICE_QUEUES } from '@airlock/queue';
import { failBoot, runQueueConsumer } from '@airlock/runtime';
import { ObjectStore, storageSettingsFrom } from '@airlock/storage';
import { PlanHandler } from './handlers/plan.handler';
import { PreviewHandler } from './handlers/preview.handler';
import { EarlyHandler } from './handlers/early.handler';
import { EarlyStage } from './handlers/early-stage';
import { PublishHandler } from './handlers/publish.handler';
import { RecordHandler } from './handlers/record.handler';
import { StartHandler } from './handlers/start.handler';
import { SweepHandler } from './handlers/sweep.handler';
import { attachQueueGauges } from './metrics/queue-gauges';
import { AttemptWatchdog } from './recovery/attempt-watchdog';
import { FlowRebuilder } from './recovery/flow-rebuilder';
import { Periodic, runPeriodically } from './recovery/periodic';
import { Reconciler } from './recovery/reconciler';
import { WebhookDispatcher, webhookSettingsFrom } from './webhooks/webhook-dispatcher';

async function main() {
  const config = loadEnv(orchestratorEnvSchema);
  const db = createPrismaClient({ databaseUrl: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE });
  const queues = new QueueConnection({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const store = new ObjectStore(storageSettingsFrom(config));

  const rebuilder = new FlowRebuilder(db, queues, { taskAttempts: config.TASK_ATTEMPTS });
  const start = new StartHandler(db, queues, config.TASK_ATTEMPTS, loadTenantPolicies(config.TENANT_POLICIES_FILE), rebuilder, config.PROBE_SHORT_LANE_MAX_BYTES);
  const plan = new PlanHandler(db, queues, { shortLaneMaxSec: config.SHORT_LANE_MAX_SEC, gpuLane: config.GPU_LANE, groupRungs: config.GROUP_RUNGS, taskAttempts: config.TASK_ATTEMPTS });
  const record = new RecordHandler(db, new EarlyStage(db, queues));
  const publish = new PublishHandler(db, store, rebuilder);
  const preview = new PreviewHandler(db);
  const early = new EarlyHandler(db);
  const sweep = new SweepHandler(db, store, { lookbackMs: config.SWEEP_LOOKBACK_SEC * 1000, batch: 200, uploadGraceMs: config.UPLOAD_GRACE_SEC * 1000 });
  const webhooks = new WebhookDispatcher(db, webhookSettingsFrom(config));
  const watchdog = new AttemptWatchdog(db, queues, { silenceMs: config.ATTEMPT_SILENCE_SEC * 1000, batch: 200 });
  const reconciler = new Reconciler(db, queues, start, rebuilder, { graceMs: config.RECONCILE_GRACE_SEC * 1000, batch: 500 });
  const loops: Periodic[] = [];

  const logger = await runQueueConsumer({
    service: 'orchestrator',
    config,
    connection: queues,
    queues: SERVICE_QUEUES.orchestrator,
    handlers: {
      'media.start': (d) => start.handle(d),
      'media.plan': (d, ctx) => plan.handle(d, ctx),
      'task.record': (d, ctx) => record.handle(d, ctx),
      'tasks.record': (d, ctx) => record.handleGroup(d, ctx),
      'media.publish': (d, ctx) => publish.handle(d, ctx),
      'media.preview': (d, ctx) => preview.handle(d, ctx),
      'media.early': (d, ctx) => early.handle(d, ctx),
      'sweep.run': () => sweep.handle(),
    },
    checks: async () => ({ postgres: await db.$queryRaw`SELECT 1`.then(() => true, () => false) }),
    drain: async () => {
      await Promise.all(loops.map((l) => l.stop()));
      await webhooks.stop();
      await db.$disconnect();
    },
  });
  webhooks.start(logger);
  attachQueueGauges(queues);
  loops.push(
    runPeriodically('attempt-watchdog', config.WATCHDOG_EVERY_SEC * 1000, () => watchdog.run(), logger),
    // At start and then periodically: Postgres is the truth, Redis is put back in line with it.
    runPeriodically(
      'reconcile',
      config.RECONCILE_EVERY_SEC * 1000,
      async () => {
        // One schedule however many replicas run; re-upserted so a flushed Redis gets it back.
        await queues.schedule('lifecycle-sweep', JobName.SweepRun, {}, config.SWEEP_EVERY_SEC * 1000);
        const result = await reconciler.run();
        if (result.restarted + result.reprobed + result.rebuilt > 0) logger.warn({ ...result }, 'reconciled Redis with Postgres');
      },
      logger,
    ),
  );
}

main().catch((e) => failBoot('orchestrator', e));

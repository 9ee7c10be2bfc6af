import { DynamicModule, Module } from '@nestjs/common';
import { apiEnvSchema, loadEnv, loadTenantPolicies } from '@airlock/config';
import { createPrismaClient } from '@airlock/db';
import { QueueConnection } from '@airlock/queue';
import { bootstrapService, failBoot } from '@airlock/runtime';
import { ObjectStore, storageSettingsFrom } from '@airlock/storage';
import { activeGrants, tracingSettingsFrom } from '@airlock/telemetry';
import { mountBullBoards, supportCredentials } from './admin/bull-board';
import { API_DEPS, ApiDeps } from './api.deps';
import { API_CONTROLLERS, API_PROVIDERS } from './api.module';
import { ErrorFilter } from './http/error.filter';
import { jsonBodies } from './http/json-bodies';
import { serveApiDocs } from './http/openapi';
import { requestSpans } from './http/request-spans';
import { installRateLimits } from './throttle/rate-limit.guard';
import { pipelineKeyFrom } from './keys/pipeline-key';
import { MediaChanges } from './media/media-changes';
import { parseTenantKeys } from './tenants/api-key';
import { reconcileTenants } from './tenants/tenant-registry';

@Module({})
class ApiModule {
  static with(deps: ApiDeps): DynamicModule {
    return {
      module: ApiModule,
      controllers: API_CONTROLLERS,
      providers: [{ provide: API_DEPS, useValue: deps }, ...API_PROVIDERS],
    };
  }
}

async function main() {
  const config = loadEnv(apiEnvSchema);
  const support = supportCredentials(config);
  const tenants = parseTenantKeys(config.TENANT_KEYS);
  const db = createPrismaClient({ databaseUrl: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE });
  const queues = new QueueConnection({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const store = new ObjectStore(storageSettingsFrom(config));
  await store.ensureBucket();
  // Tenants no longer listed are disabled (their keys answer 401); their media stay.
  const { disabled } = await reconcileTenants(db, tenants);
  const pipelineKey = pipelineKeyFrom(config.PIPELINE_PRIVATE_JWK);
  const changes = new MediaChanges(config.DATABASE_URL, config.DATABASE_SCHEMA);
  const deps: ApiDeps = { config, db, queues, store, pipelineKey, policies: loadTenantPolicies(config.TENANT_POLICIES_FILE), changes };

  // Read on scrape: grants a worker could still exchange.
  activeGrants.from(async (gauge) => gauge.set(await db.grant.count({ where: { revokedAt: null, expiresAt: { gt: new Date() } } })));

  const { logger } = await bootstrapService({
    service: 'api',
    module: ApiModule.with(deps),
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    logLevel: config.LOG_LEVEL,
    tracing: tracingSettingsFrom(config),
    checks: async () => ({
      postgres: await db.$queryRaw`SELECT 1`.then(() => true, () => false),
      redis: await queues.ping(),
      storage: await store.ping(),
    }),
    drain: async () => {
      await changes.close();
      await queues.close();
      await db.$disconnect();
    },
    configure: (app) => {
      app.use(requestSpans());
      app.use(jsonBodies());
      app.useGlobalFilters(new ErrorFilter((err) => logger.error({ err: (err as Error)?.message }, 'unexpected error')));
      // Per tenant, per source address and per worker, in Redis (every replica counts together).
      installRateLimits(app, deps);
      serveApiDocs(app);
      mountBullBoards(app, queues, { operator: { user: config.ADMIN_USER, password: config.ADMIN_PASSWORD }, support });
    },
  });
  if (disabled.length) logger.warn({ tenants: disabled }, 'tenants no longer in TENANT_KEYS are disabled: their keys answer 401');
}

main().catch((e) => failBoot('api', e));

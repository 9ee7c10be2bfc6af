import { DynamicModule, Module } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import { apiEnvSchema, loadEnv, loadTenantPolicies } from '@airlock/config';
import { createPrismaClient } from '@airlock/db';
import { QueueConnection } from '@airlock/queue';
import { bootstrapService, failBoot } from '@airlock/runtime';
import { ObjectStore, storageSettingsFrom } from '@airlock/storage';
import { activeGrants, tracingSettingsFrom } from '@airlock/telemetry';
import { mountBullBoards, supportCredentials } from './admin/bull-board';
import { DeadLettersController } from './admin/dead-letters.controller';
import { DeadLettersService } from './admin/dead-letters.service';
import { OperatorGuard } from './admin/operator.guard';
import { API_DEPS, ApiDeps } from './api.deps';
import { GrantService } from './grants/grant.service';
import { GrantsController } from './grants/grants.controller';
import { VerifierGrantService } from './grants/verifier-grant.service';
import { QuarantineController } from './admin/quarantine.controller';
import { VerifierGrantsController } from './grants/verifier-grants.controller';
import { ErrorFilter } from './http/error.filter';
import { requestSpans } from './http/request-spans';
import { KeysController } from './keys/keys.controller';
import { pipelineKeyFrom } from './keys/pipeline-key';
import { MediaController } from './media/media.controller';
import { MediaChanges } from './media/media-changes';
import { MediaService } from './media/media.service';
import { parseTenantKeys } from './tenants/api-key';
import { TenantGuard } from './tenants/tenant.guard';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksService } from './webhooks/webhooks.service';

@Module({})
class ApiModule {
  static with(deps: ApiDeps): DynamicModule {
    return {
      module: ApiModule,
      controllers: [MediaController, KeysController, GrantsController, VerifierGrantsController, WebhooksController, DeadLettersController, QuarantineController],
      providers: [{ provide: API_DEPS, useValue: deps }, MediaService, GrantService, VerifierGrantService, WebhooksService, DeadLettersService, TenantGuard, OperatorGuard],
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
  for (const t of tenants) {
    await db.tenant.upsert({ where: { id: t.id }, create: { id: t.id, name: t.id, apiKeyHash: t.apiKeyHash }, update: { apiKeyHash: t.apiKeyHash } });
  }
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
      // Small JSON bodies only: media bytes go straight to storage through presigned URLs.
      app.use(express.json({ limit: '64kb' }));
      app.useGlobalFilters(new ErrorFilter((err) => logger.error({ err: (err as Error)?.message }, 'unexpected error')));
      const doc = SwaggerModule.createDocument(
        app,
        new DocumentBuilder().setTitle('Airlock API').setDescription('Private video transcoding for encrypted chat').setVersion('1').addBearerAuth().addBasicAuth().build(),
      );
      SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs/openapi.json' });
      mountBullBoards(app, queues, { operator: { user: config.ADMIN_USER, password: config.ADMIN_PASSWORD }, support });
    },
  });
}

main().catch((e) => failBoot('api', e));

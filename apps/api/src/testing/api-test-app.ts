import { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { apiEnvSchema, loadEnv } from '@airlock/config';
import { keyEnvFor } from '@airlock/devstack';
import { DEFAULT_MEDIA_POLICY } from '@airlock/domain';
import { IntegrationEnv } from '@airlock/testing';
import { API_DEPS, ApiDeps } from '../api.deps';
import { ErrorFilter } from '../http/error.filter';
import { jsonBodies } from '../http/json-bodies';
import { pipelineKeyFrom } from '../keys/pipeline-key';
import { MediaChanges } from '../media/media-changes';

/** Tests only: the api's dependencies on an integration env, wired as main.ts wires them. `settings` add to the env. */
export function apiTestDeps(env: IntegrationEnv, settings: Record<string, string> = {}): ApiDeps {
  const config = loadEnv(apiEnvSchema, { ...process.env, ...env.env, ...keyEnvFor('api', env.keys), ...settings });
  return {
    config,
    db: env.db,
    queues: env.queues,
    store: env.store,
    pipelineKey: pipelineKeyFrom(config.PIPELINE_PRIVATE_JWK),
    policies: () => DEFAULT_MEDIA_POLICY,
    changes: new MediaChanges(config.DATABASE_URL, config.DATABASE_SCHEMA),
  };
}

export interface ApiTestApp {
  readonly app: INestApplication;
  /** http://127.0.0.1:<port> */
  readonly base: string;
  close(): Promise<void>;
}

/**
 * Tests only: these controllers and providers over HTTP on a free port, with the api's body
 * parser and error filter, on `deps`. `mount` adds to the app before it listens (the Bull Boards).
 */
export async function startApiTestApp(
  deps: ApiDeps,
  module: Required<Pick<ModuleMetadata, 'controllers' | 'providers'>>,
  mount?: (app: INestApplication) => void,
): Promise<ApiTestApp> {
  const moduleRef = await Test.createTestingModule({
    controllers: module.controllers,
    providers: [{ provide: API_DEPS, useValue: deps }, ...module.providers],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false, bodyParser: false });
  app.use(jsonBodies());
  app.useGlobalFilters(new ErrorFilter(() => undefined));
  mount?.(app);
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    base,
    close: async () => {
      await app.close();
      await deps.changes.close();
    },
  };
}

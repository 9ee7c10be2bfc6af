import { ApiConfig } from '@airlock/config';
import { PrismaClient } from '@airlock/db';
import { QueueConnection } from '@airlock/queue';
import { KeyPairJwk } from '@airlock/crypto';
import { PolicyLookup } from '@airlock/domain';
import { ObjectStore } from '@airlock/storage';
import { MediaChanges } from './media/media-changes';

export const API_DEPS = Symbol('API_DEPS');

/** Adapters the api is built on, created once in main.ts. */
export interface ApiDeps {
  readonly config: ApiConfig;
  readonly db: PrismaClient;
  readonly queues: QueueConnection;
  readonly store: ObjectStore;
  readonly pipelineKey: KeyPairJwk;
  readonly policies: PolicyLookup;
  /** Postgres' notifications of media changes, for long polls. */
  readonly changes: MediaChanges;
}

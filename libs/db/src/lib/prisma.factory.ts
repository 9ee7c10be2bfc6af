import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export interface DbOptions {
  readonly databaseUrl: string;
  /** Postgres schema; tests use one per file. */
  readonly schema?: string;
  readonly poolSize?: number;
}

/** The only place a PrismaClient is built: the JS query compiler over node-postgres. */
export function createPrismaClient(options: DbOptions): PrismaClient {
  const adapter = new PrismaPg(
    // Prisma qualifies its own queries with the schema; raw SQL ($queryRaw) finds it on the search path.
    { connectionString: options.databaseUrl, max: options.poolSize ?? 10, ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}) },
    options.schema ? { schema: options.schema } : undefined,
  );
  // A burst (hundreds of grant exchanges at once) queues for a connection rather than failing at Prisma's 2 s default.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 15_000, timeout: 20_000 } });
}

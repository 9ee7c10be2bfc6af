import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { commandExists, exec, waitFor } from './exec';

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The same server's `postgres` database, to create or drop others from. */
export function adminUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

/**
 * Make sure a Postgres answers at `url` and its database exists: start the Debian cluster
 * when one is installed but stopped; otherwise say exactly what is missing.
 */
export async function ensurePostgres(url: string, log: (m: string) => void): Promise<void> {
  if (!(await canConnect(adminUrl(url)))) {
    if (await commandExists('pg_ctlcluster')) {
      log('starting PostgreSQL (pg_ctlcluster)');
      const versions = readdirSync('/etc/postgresql');
      for (const v of versions) await exec('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start']).catch(() => undefined);
      await waitFor('PostgreSQL', () => canConnect(adminUrl(url)), 20_000);
    } else {
      throw new Error('PostgreSQL is not reachable at DATABASE_URL and no local cluster is installed: `apt-get install -y postgresql` or use docker compose.');
    }
  }
  const dbName = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: adminUrl(url) });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (!rowCount) {
      log(`creating database ${dbName}`);
      // Parallel test files may race to create it: losing that race is fine.
      await admin.query(`CREATE DATABASE "${dbName.replace(/"/g, '')}"`).catch((e: { code?: string }) => {
        if (e.code !== '42P04' && e.code !== '23505') throw e;
      });
    }
  } finally {
    await admin.end();
  }
}

/** `prisma migrate deploy`: the committed migrations, applied in order, tracked by Prisma. */
export async function migrateDeploy(root: string, url: string): Promise<void> {
  await exec(join(root, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], { DATABASE_URL: url }, root);
}

/**
 * Tests: a fresh schema per test file with the committed migrations applied as plain SQL
 * (fast, no Prisma CLI per file). Returns a function that drops it.
 */
export async function createTestSchema(root: string, url: string, schema: string): Promise<() => Promise<void>> {
  const dir = join(root, 'prisma/migrations');
  const migrations = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; CREATE SCHEMA "${schema}"`);
    for (const m of migrations) {
      await client.query(`SET search_path TO "${schema}"; ${readFileSync(join(dir, m, 'migration.sql'), 'utf8')}`);
    }
  } finally {
    await client.end();
  }
  return async () => {
    const c = new Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => c.end());
  };
}

import { Client } from 'pg';
import { adminUrl, ensurePostgres, migrateDeploy } from './postgres';
import { workspaceRoot } from './workspace';

// The stack migrates with the real Prisma CLI, not the plain SQL the other tests apply:
// every committed migration must go through it on a database that has none of them.
const base = new URL(process.env['DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/airlock');

describe('migrateDeploy', () => {
  const name = `airlock_migrate_${process.pid}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  afterAll(async () => {
    const c = new Client({ connectionString: adminUrl(url.toString()) });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => c.end());
  });

  it('applies every migration to a new database, functions and triggers included', async () => {
    await ensurePostgres(url.toString(), () => undefined);
    await migrateDeploy(workspaceRoot(), url.toString());

    const c = new Client({ connectionString: url.toString() });
    await c.connect();
    try {
      const { rows: failed } = await c.query('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NULL');
      expect(failed).toEqual([]);
      const { rows: triggers } = await c.query(`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname`);
      expect(triggers.map((t) => t.tgname)).toEqual(expect.arrayContaining(['job_changed', 'media_changed']));
    } finally {
      await c.end();
    }
  }, 120_000);
});

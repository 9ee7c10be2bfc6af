import { randomUUID } from 'node:crypto';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// Prisma 6 migrates offline only through the JS engine with a driver adapter
// (the native schema engine is a download this machine cannot reach).
const databaseUrl = (process.env['DATABASE_URL'] ??= 'postgresql://postgres@127.0.0.1:5432/airlock');

// prisma/orm#27403: adapter-pg 6 cannot parse some catalog column types (name, "char", ...)
// that the schema engine reads while introspecting; treat unknown built-in types as text.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PgResult = require('pg/lib/result');
const PARSED_TYPE_IDS = new Set([
  16, 17, 20, 21, 23, 25, 26, 114, 142, 650, 700, 701, 790, 869, 1042, 1043, 1082, 1083, 1114, 1184, 1266, 1560, 1562,
  1700, 2950, 3802, 1000, 1001, 1005, 1007, 1009, 1014, 1015, 1016, 1021, 1022, 1041, 1115, 1182, 1185, 1231, 1561,
  1563, 199, 143, 651, 791, 1002, 1028, 2951, 3807,
]);
const addFields = PgResult.prototype.addFields;
PgResult.prototype.addFields = function (fields: { dataTypeID: number }[]) {
  for (const f of fields) if (f.dataTypeID < 16384 && !PARSED_TYPE_IDS.has(f.dataTypeID)) f.dataTypeID = 25;
  return addFields.call(this, fields);
};

// adapter-pg 6 loses the database name of a connectionString when it opens the shadow
// database, so connect with discrete fields and own the shadow database's lifecycle.
function pgFields(database?: string) {
  const u = new URL(databaseUrl);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: database ?? u.pathname.slice(1),
    idleTimeoutMillis: 200,
  };
}

// adapter-pg 6 runs a migration by splitting its script at every ';', which cuts a function
// body in two. Postgres takes a whole script as one simple query, as the tests apply it.
type ScriptRunner = { executeScript(script: string): Promise<void>; client: { query(sql: string): Promise<unknown> }; onError(e: unknown): never };
function wholeScripts<T>(connection: T): T {
  const c = connection as unknown as ScriptRunner;
  c.executeScript = async (script) => {
    try {
      await c.client.query(script);
    } catch (e) {
      c.onError(e);
    }
  };
  return connection;
}

class MigrationAdapter extends PrismaPg {
  override async connect() {
    return wholeScripts(await super.connect());
  }

  override async connectToShadowDb() {
    const admin = await new PrismaPg(pgFields()).connect();
    const name = `prisma_shadow_${randomUUID().replace(/-/g, '')}`;
    await admin.executeScript(`CREATE DATABASE "${name}"`);
    const shadow = wholeScripts(await new PrismaPg(pgFields(name)).connect());
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await admin.executeScript(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.dispose();
    };
    return shadow;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  engine: 'js',
  adapter: async () => new MigrationAdapter(pgFields()),
});

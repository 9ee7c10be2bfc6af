// An isolated Airlock stack for one benchmark: the five built services and the local store
// (s3rver behind the signature gate, the CLI's `storage-server`) as processes of this one, on
// free ports, with their own Postgres schema (committed migrations), Redis key prefix, bucket,
// worker temp root (tmpfs when present) and fresh keys, so nobody else's stack or tests are
// touched. Needs Postgres, Redis and a build (`npx nx run-many -t build`).
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';

export const SERVICES = ['api', 'orchestrator', 'gpu-worker', 'verifier', 'manifester'];
export const CLI = 'dist/apps/cli/main.js';
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/airlock';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function requireBuild() {
  for (const app of [...SERVICES, 'cli']) {
    if (!existsSync(`dist/apps/${app}/main.js`)) {
      console.error(`dist/apps/${app}/main.js is missing: build first (NX_DAEMON=false npx nx run-many -t build)`);
      process.exit(2);
    }
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what, check, timeoutMs, proc) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode !== null) throw new Error(`${what}: the process exited with ${proc.exitCode}`);
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The bench database on a fresh machine: created when missing (as `airlock up` does), not an error. */
async function ensureDatabase() {
  const url = new URL(DATABASE_URL);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    // Another bench may create it at the same moment: losing that race is fine.
    if (!rowCount) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`).catch((e) => (e.code === '42P04' || e.code === '23505' ? undefined : Promise.reject(e)));
  } finally {
    await admin.end();
  }
}

async function createSchema(schema) {
  await ensureDatabase();
  const dir = 'prisma/migrations';
  const migrations = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; CREATE SCHEMA "${schema}"`);
    for (const m of migrations) await client.query(`SET search_path TO "${schema}"; ${readFileSync(join(dir, m, 'migration.sql'), 'utf8')}`);
  } finally {
    await client.end();
  }
}

/** Key-service and worker-fleet keys from the CLI (`airlock keys` prints KEY='json' lines). */
function freshKeys() {
  const out = execFileSync(process.execPath, [CLI, 'keys'], { encoding: 'utf8' });
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((line) => /^([A-Z_]+)='(.*)'$/.exec(line))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
}

/**
 * Start the stack. `name` tags the schema, prefix and temp dirs; `env` is added to every
 * service's environment, `perService[name]` to one's (e.g. { 'gpu-worker': { CONCURRENCY: '1' } }).
 * Returns { apiUrl, pids: {service: pid, storage: pid}, db, logDir, stop() }.
 */
/** SIGTERM (a graceful stop), SIGKILL after 15 s, for every child still running. */
export async function stopProcesses(children) {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

export async function startStack(name, env = {}, perService = {}) {
  const id = `${name.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 16)}_${randomBytes(3).toString('hex')}`;
  const schema = `bench_${id}`;
  const prefix = `bench-${id}`;
  const bucket = `bench-${id.replace(/_/g, '-')}`;
  const tmp = mkdtempSync(join(tmpdir(), `airlock-bench-${name}-`));
  const shm = existsSync('/dev/shm') ? '/dev/shm' : tmp;
  const workerTmp = join(shm, `airlock-bench-${id}`);
  const logDir = join(tmp, 'logs');
  mkdirSync(logDir, { recursive: true });
  const procs = new Map();
  const spawnLogged = (label, args, extraEnv) => {
    const out = openSync(join(logDir, `${label}.log`), 'a');
    // BENCH_CPU_PROF=dir writes a V8 CPU profile of each process there when it stops.
    const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_CPU_PROF, label)}`] : [];
    const child = spawn(process.execPath, [...prof, ...args], { env: { ...process.env, ...extraEnv }, stdio: ['ignore', out, out] });
    procs.set(label, child);
    return child;
  };

  await createSchema(schema);
  const s3Port = await freePort();
  const s3Endpoint = `http://127.0.0.1:${s3Port}`;
  const storage = spawnLogged('storage', [CLI, 'storage-server', '--endpoint', s3Endpoint, '--bucket', bucket, '--dir', join(tmp, 's3')], {});
  await waitUntil('the local store', () => fetch(s3Endpoint, { signal: AbortSignal.timeout(1500) }).then(() => true), 20_000, storage);

  const keys = freshKeys();
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()])));
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  const base = {
    LOG_LEVEL: 'info',
    DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    S3_ENDPOINT: s3Endpoint,
    S3_BUCKET: bucket,
    S3_SINGLE_PART: 'true',
    TRACES_EXPORTER: 'none',
    API_URL: apiUrl,
    WORKER_TMP_ROOT: workerTmp,
    // The encoder class is known (this machine has no GPU): skip the start-up smoke encodes.
    WORKER_ACCEL: 'cpu',
  };
  const keysFor = {
    api: { PIPELINE_PRIVATE_JWK: keys.PIPELINE_PRIVATE_JWK, WORKER_PUBLIC_JWKS: keys.WORKER_PUBLIC_JWKS },
    'gpu-worker': { WORKER_SIGNING_JWK: keys.WORKER_SIGNING_JWK },
    // The verifier checks the workers' signed reports against the fleet's public keys.
    verifier: { WORKER_PUBLIC_JWKS: keys.WORKER_PUBLIC_JWKS },
  };
  for (const s of SERVICES) spawnLogged(s, [`dist/apps/${s}/main.js`], { ...base, ...(keysFor[s] ?? {}), ...env, ...(perService[s] ?? {}), HTTP_PORT: String(ports[s]) });
  let stopped = false;
  const stop = async ({ keepLogs = false } = {}) => {
    if (stopped) return;
    stopped = true;
    await stopProcesses([...procs.values()]);
    // BENCH_KEEP=1 leaves the schema, the Redis keys and the service logs for a post-mortem.
    const keep = process.env.BENCH_KEEP === '1';
    if (keep) console.error(`kept schema ${schema} and Redis prefix ${prefix}`);
    else await cleanup(schema, prefix).catch((e) => console.error(`cleanup of ${schema}/${prefix}: ${e.message}`));
    rmSync(workerTmp, { recursive: true, force: true });
    if (keepLogs || keep) console.error(`service logs kept in ${logDir}`);
    else rmSync(tmp, { recursive: true, force: true });
  };
  const onSignal = () => void stop({ keepLogs: true }).then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await Promise.all(
      SERVICES.map((s) =>
        waitUntil(`${s} on :${ports[s]}`, () => fetch(`http://127.0.0.1:${ports[s]}/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200), 90_000, procs.get(s)),
      ),
    );
  } catch (e) {
    await stop({ keepLogs: true });
    throw e;
  }
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  await db.query(`SET search_path TO "${schema}"`);
  return {
    apiUrl,
    schema,
    logDir,
    db,
    pids: Object.fromEntries([...procs.entries()].map(([label, child]) => [label, child.pid])),
    async stop(opts) {
      await db.end().catch(() => undefined);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await stop(opts);
    },
  };
}

/** Drop the schema and every Redis key under the prefix, so the machine is left as found. */
async function cleanup(schema, prefix) {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** When each media state was entered, from the media's events (Postgres clock, ms since the epoch). */
export async function stateTimes(db, mediaId) {
  const { rows } = await db.query(`SELECT type, from_state, to_state, reason, at, data FROM events WHERE media_id = $1 ORDER BY id`, [mediaId]);
  const times = {};
  for (const r of rows) if (r.to_state && times[r.to_state] === undefined) times[r.to_state] = r.at.getTime();
  return { times, events: rows };
}

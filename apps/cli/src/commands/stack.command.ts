import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnvSchema, loadEnv } from '@airlock/config';
import { publicReadPrefixes } from '@airlock/domain';
import { startLocalS3 } from '@airlock/storage';
import { DEFAULT_PORTS, ensureLocalKeys, LOCAL_STACK_ENV, ensurePostgres, keyEnvFor, ensureRedis, ensureS3, isReady, migrateDeploy, SERVICES, startService, stateDir, waitReady, workspaceRoot } from '@airlock/devstack';

interface PidFile {
  s3rver?: number;
  services: Record<string, number>;
}

const log = (m: string) => process.stdout.write(`airlock: ${m}\n`);

/** `airlock up`: start whatever is missing (Postgres, Redis, s3rver), migrate, then the five services. */
export async function up(): Promise<void> {
  const root = workspaceRoot();
  const config = loadEnv(baseEnvSchema);
  const state = stateDir(root);
  const logs = join(state, 'logs');
  mkdirSync(logs, { recursive: true });
  const pids = readPids(state);

  await ensurePostgres(config.DATABASE_URL, log);
  await ensureRedis(config.REDIS_URL, log);
  const dataDir = join(state, 's3');
  const serveArgs = [process.argv[1] ?? '', 'storage-server', '--endpoint', config.S3_ENDPOINT, '--bucket', config.S3_BUCKET, '--dir', dataDir];
  const s3pid = await ensureS3({ endpoint: config.S3_ENDPOINT, dataDir, logFile: join(logs, 's3rver.log'), serveArgs });
  if (s3pid) {
    pids.s3rver = s3pid;
    log(`s3rver started at ${config.S3_ENDPOINT} (data in .airlock/s3)`);
  }
  log('applying migrations');
  await migrateDeploy(root, config.DATABASE_URL);

  // Each process gets only the env it reads; keys stay out of argv and logs.
  const keys = await ensureLocalKeys(join(state, 'keys.json'));
  for (const name of SERVICES) {
    const port = DEFAULT_PORTS[name];
    if (await isReady(port)) {
      log(`${name} already running on :${port}`);
      continue;
    }
    const service = startService({ root, name, port, env: { ...LOCAL_STACK_ENV, ...keyEnvFor(name, keys) }, logFile: join(logs, `${name}.log`), detached: true });
    pids.services[name] = service.process.pid ?? 0;
    writePids(state, pids);
    await waitReady(service);
    log(`${name} ready on :${port} (log: .airlock/logs/${name}.log)`);
  }
  writePids(state, pids);
  log(`API at http://127.0.0.1:${DEFAULT_PORTS.api} (docs at /docs, Bull Board at /admin/queues)`);
}

/** `airlock storage-server`: the local store `up` runs in the background (s3rver behind the signature gate). */
export async function storageServer(opts: { endpoint: string; bucket: string; dir: string }): Promise<void> {
  const u = new URL(opts.endpoint);
  const s3 = await startLocalS3({ directory: opts.dir, host: u.hostname, port: Number(u.port || 80), buckets: [opts.bucket], publicReadPrefixes });
  log(`local S3 on ${s3.endpoint}, bucket ${opts.bucket}`);
  // Serve until told to stop.
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await s3.close();
}

/** `airlock down`: stop what `up` started. */
export async function down(): Promise<void> {
  const state = stateDir(workspaceRoot());
  const pids = readPids(state);
  for (const [name, pid] of Object.entries(pids.services)) stop(name, pid);
  if (pids.s3rver) stop('s3rver', pids.s3rver);
  rmSync(join(state, 'pids.json'), { force: true });
}

function stop(name: string, pid: number) {
  try {
    process.kill(pid, 'SIGTERM');
    log(`stopped ${name} (${pid})`);
  } catch {
    // Already gone.
  }
}

function readPids(state: string): PidFile {
  const file = join(state, 'pids.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PidFile) : { services: {} };
}

function writePids(state: string, pids: PidFile) {
  writeFileSync(join(state, 'pids.json'), JSON.stringify(pids, null, 2));
}

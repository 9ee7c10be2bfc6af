import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { keyEnvFor, SERVICES, ServiceName, StartedService, startService, waitReady } from '@airlock/devstack';
import type { SpanRecord } from '@airlock/telemetry';
import { IntegrationEnv } from './integration-env';

/** One more gpu-worker process, with its own id, on the same host and temp root as the others. */
export interface ExtraWorker {
  readonly id: string;
  /** The stack's shared worker temp root (each worker process keeps its own directory under it). */
  readonly tempRoot: string;
  /** SIGKILL (a crash) by default. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start it again after a kill (same id; any live worker on the root wipes the killed one's directory). */
  relaunch(): Promise<void>;
}

export interface ServiceStack {
  readonly apiUrl: string;
  readonly services: Map<ServiceName, StartedService>;
  readonly workerTempRoot: string;
  /**
   * Everything under the worker temp root beyond the live workers' own empty directories (each
   * holds only its owner record): attempt directories, stray files, directories of workers that
   * are gone. Empty is what an empty root meant before workers got their own directories.
   */
  workerTempLeftovers(): string[];
  readonly logDir: string;
  /** Where every service writes its spans, one JSON line each. */
  readonly traceDir: string;
  /** Every span the services have finished so far. */
  spans(): SpanRecord[];
  /** SIGKILL one service (a crash), or SIGTERM (a deploy). */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  restart(name: ServiceName): Promise<void>;
  /** A further worker process (scaling out, chaos among several, a dishonest one), with its own env on top. */
  addWorker(id: string, workerEnv?: Record<string, string>): Promise<ExtraWorker>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The five built services as separate processes, wired to one isolated integration env. */
export async function startServiceStack(env: IntegrationEnv, extraEnv: Record<string, string> = {}): Promise<ServiceStack> {
  const logDir = join(env.tmp, 'logs');
  const workerTempRoot = join(env.tmp, 'worker');
  const traceDir = join(env.tmp, 'traces');
  mkdirSync(logDir, { recursive: true });
  const services = new Map<ServiceName, StartedService>();
  const ports = new Map<ServiceName, number>();
  for (const name of SERVICES) ports.set(name, await freePort());
  const serviceEnv = { ...env.env, WORKER_TMP_ROOT: workerTempRoot, API_URL: `http://127.0.0.1:${ports.get('api')}`, TRACES_EXPORTER: 'file', TRACE_DIR: traceDir, ...extraEnv };

  const launch = async (name: ServiceName) => {
    const port = ports.get(name) ?? (await freePort());
    ports.set(name, port);
    const started = startService({ root: env.root, name, port, env: { ...serviceEnv, ...keyEnvFor(name, env.keys) }, logFile: join(logDir, `${name}.log`) });
    services.set(name, started);
    await waitReady(started, 60_000);
  };
  await Promise.all(SERVICES.map(launch));

  const stopProcess = async (s: StartedService | undefined, signal: NodeJS.Signals) => {
    if (!s || s.process.exitCode !== null || s.process.signalCode !== null) return;
    const exited = new Promise((r) => s.process.once('exit', r));
    s.process.kill(signal);
    await exited;
  };
  const kill = (name: ServiceName, signal: NodeJS.Signals = 'SIGKILL') => stopProcess(services.get(name), signal);

  const extras = new Map<string, StartedService>();
  const liveWorkerPids = (): Set<number> =>
    new Set(
      [services.get('gpu-worker'), ...extras.values()]
        .filter((s): s is StartedService => s !== undefined && s.process.exitCode === null && s.process.signalCode === null)
        .map((s) => s.process.pid ?? -1),
    );
  const addWorker = async (id: string, workerEnv: Record<string, string> = {}): Promise<ExtraWorker> => {
    // The same root as the main worker: workers on one host share it (gpu-worker worker-temp-dir.ts).
    const tempRoot = workerTempRoot;
    const launchExtra = async () => {
      const started = startService({
        root: env.root,
        name: 'gpu-worker',
        port: await freePort(),
        env: { ...serviceEnv, ...keyEnvFor('gpu-worker', env.keys), WORKER_ID: id, WORKER_TMP_ROOT: tempRoot, ...workerEnv },
        logFile: join(logDir, `gpu-worker-${id}.log`),
      });
      extras.set(id, started);
      await waitReady(started, 60_000);
    };
    await launchExtra();
    return { id, tempRoot, kill: (signal = 'SIGKILL') => stopProcess(extras.get(id), signal), relaunch: launchExtra };
  };

  return {
    apiUrl: `http://127.0.0.1:${ports.get('api')}`,
    services,
    workerTempRoot,
    workerTempLeftovers: () => leftoversIn(workerTempRoot, liveWorkerPids()),
    logDir,
    traceDir,
    spans: () => readSpans(traceDir),
    kill,
    restart: async (name) => {
      await kill(name, 'SIGTERM');
      await launch(name);
    },
    addWorker,
    stop: async () => {
      await Promise.all([...SERVICES.map((n) => kill(n, 'SIGTERM')), ...[...extras.values()].map((s) => stopProcess(s, 'SIGTERM'))]);
    },
  };
}

/** The gpu-worker's layout: `<root>/w-<host>-<pid>-<random>/` holding `owner.json` (its pid) and attempt directories. */
const OWNER_FILE = 'owner.json';

function leftoversIn(root: string, livePids: ReadonlySet<number>): string[] {
  // A sweeping worker may remove an entry while this looks: what is gone is not left over.
  const entries = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  const found: string[] = [];
  const walk = (rel: string): void => {
    const s = lstatSync(join(root, rel), { throwIfNoEntry: false });
    if (!s) return;
    found.push(rel);
    if (s.isDirectory()) for (const e of entries(join(root, rel))) walk(join(rel, e));
  };
  for (const name of entries(root)) {
    let pid: unknown;
    try {
      pid = (JSON.parse(readFileSync(join(root, name, OWNER_FILE), 'utf8')) as { pid?: unknown }).pid;
    } catch {
      pid = undefined; // no record: not a live worker's directory
    }
    if (typeof pid === 'number' && livePids.has(pid)) {
      // A live worker's own directory: anything but its record is left over.
      for (const e of entries(join(root, name)).filter((x) => x !== OWNER_FILE)) walk(join(name, e));
    } else walk(name);
  }
  return found.sort();
}

function readSpans(dir: string): SpanRecord[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as SpanRecord),
  );
}

import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { keyEnvFor, SERVICES, ServiceName, StartedService, startService, waitReady } from '@airlock/devstack';
import type { SpanRecord } from '@airlock/telemetry';
import { IntegrationEnv } from './integration-env';

export interface ServiceStack {
  readonly apiUrl: string;
  readonly services: Map<ServiceName, StartedService>;
  readonly workerTempRoot: string;
  readonly logDir: string;
  /** Where every service writes its spans, one JSON line each. */
  readonly traceDir: string;
  /** Every span the services have finished so far. */
  spans(): SpanRecord[];
  /** SIGKILL one service (a crash), or SIGTERM (a deploy). */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  restart(name: ServiceName): Promise<void>;
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

  const kill = async (name: ServiceName, signal: NodeJS.Signals = 'SIGKILL') => {
    const s = services.get(name);
    if (!s || s.process.exitCode !== null || s.process.signalCode !== null) return;
    const exited = new Promise((r) => s.process.once('exit', r));
    s.process.kill(signal);
    await exited;
  };

  return {
    apiUrl: `http://127.0.0.1:${ports.get('api')}`,
    services,
    workerTempRoot,
    logDir,
    traceDir,
    spans: () => readSpans(traceDir),
    kill,
    restart: async (name) => {
      await kill(name, 'SIGTERM');
      await launch(name);
    },
    stop: async () => {
      await Promise.all(SERVICES.map((n) => kill(n, 'SIGTERM')));
    },
  };
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

import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './exec';

export const SERVICES = ['api', 'orchestrator', 'gpu-worker', 'verifier', 'manifester'] as const;
export type ServiceName = (typeof SERVICES)[number];

export const DEFAULT_PORTS: Record<ServiceName, number> = { api: 3000, orchestrator: 3001, 'gpu-worker': 3002, verifier: 3003, manifester: 3004 };

/**
 * What `airlock up` sets for its local services: webhooks may go to a receiver on this machine
 * (refused in production; see WEBHOOK_ALLOW_PRIVATE_TARGETS).
 */
export const LOCAL_STACK_ENV: Readonly<Record<string, string>> = { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' };

export interface StartedService {
  readonly name: ServiceName;
  readonly port: number;
  readonly process: ChildProcess;
}

export function serviceEntry(root: string, name: ServiceName): string {
  const entry = join(root, 'dist/apps', name, 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (npx nx run-many -t build).`);
  return entry;
}

/** Start one built service as its own process, logs appended to a file. */
export function startService(opts: {
  root: string;
  name: ServiceName;
  port: number;
  env: NodeJS.ProcessEnv;
  logFile: string;
  detached?: boolean;
}): StartedService {
  const out = openSync(opts.logFile, 'a');
  const child = spawn(process.execPath, [serviceEntry(opts.root, opts.name)], {
    cwd: opts.root,
    env: { ...process.env, ...opts.env, HTTP_PORT: String(opts.port) },
    stdio: ['ignore', out, out],
    detached: opts.detached ?? false,
  });
  if (opts.detached) child.unref();
  return { name: opts.name, port: opts.port, process: child };
}

export async function isReady(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return res?.status === 200;
}

export async function waitReady(service: StartedService, timeoutMs = 60_000): Promise<void> {
  let exited: number | null = null;
  service.process.once('exit', (code) => (exited = code ?? -1));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`${service.name} exited with code ${exited} during start-up; see its log`);
    if (await isReady(service.port)) return;
    await sleep(200);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${service.name} on port ${service.port}`);
}

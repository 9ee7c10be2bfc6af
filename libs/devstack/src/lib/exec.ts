import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function commandExists(cmd: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${cmd}`]).then(
    () => true,
    () => false,
  );
}

export async function exec(cmd: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string): Promise<string> {
  const { stdout } = await run(cmd, args, { env: { ...process.env, ...env }, cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

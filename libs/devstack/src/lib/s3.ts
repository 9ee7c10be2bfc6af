import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { waitFor } from './exec';

export async function s3Answers(endpoint: string): Promise<boolean> {
  return fetch(endpoint, { signal: AbortSignal.timeout(1500) }).then(
    () => true,
    () => false,
  );
}

/**
 * Start the local store (s3rver behind the signature-checking gate, see @airlock/storage's
 * startLocalS3) as a background process when nothing answers at the endpoint. `serveArgs`
 * is the command line that runs it (the CLI's `storage-server`). Returns the pid it started,
 * or undefined when one was already running.
 */
export async function ensureS3(opts: { endpoint: string; dataDir: string; logFile: string; serveArgs: string[] }): Promise<number | undefined> {
  if (await s3Answers(opts.endpoint)) return undefined;
  mkdirSync(opts.dataDir, { recursive: true });
  const out = openSync(opts.logFile, 'a');
  const child = spawn(process.execPath, opts.serveArgs, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  await waitFor(`local S3 at ${opts.endpoint}`, () => s3Answers(opts.endpoint), 15_000);
  return child.pid;
}

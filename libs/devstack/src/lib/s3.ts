import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './exec';

/** CORS so browsers (players, senders' presigned PUTs) can reach the bucket. */
const CORS_XML = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

export async function s3Answers(endpoint: string): Promise<boolean> {
  return fetch(endpoint, { signal: AbortSignal.timeout(1500) }).then(
    () => true,
    () => false,
  );
}

/**
 * Start s3rver (pure-JS S3) as a background process when nothing answers at the endpoint.
 * Returns the pid it started, or undefined when one was already running.
 */
export async function ensureS3(opts: { root: string; endpoint: string; bucket: string; dataDir: string; logFile: string }): Promise<number | undefined> {
  if (await s3Answers(opts.endpoint)) return undefined;
  const u = new URL(opts.endpoint);
  mkdirSync(opts.dataDir, { recursive: true });
  const cors = join(opts.dataDir, '..', 'cors.xml');
  writeFileSync(cors, CORS_XML);
  const out = openSync(opts.logFile, 'a');
  const child = spawn(
    process.execPath,
    [join(opts.root, 'node_modules/s3rver/bin/s3rver.js'), '-d', opts.dataDir, '-a', u.hostname, '-p', u.port || '80', '-s', '--configure-bucket', opts.bucket, cors],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  await waitFor(`s3rver at ${opts.endpoint}`, () => s3Answers(opts.endpoint), 15_000);
  return child.pid;
}

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkerTempDir } from '../attempt/worker-temp-dir';

/**
 * A stand-in worker process for worker-temp-dir.int.spec.ts: claims its directory under the root,
 * puts an attempt with "plaintext" in it, sweeps every SWEEP_MS (0: never), prints its directory,
 * and on SIGTERM releases it as a worker's drain does. Run with ts-node: `holder <root> <sweepMs> <staleMs>`.
 */
async function hold(root: string, sweepMs: number, staleAfterMs: number): Promise<void> {
  const own = await WorkerTempDir.claim(root, { staleAfterMs });
  await mkdir(join(own.dir, 'attempt-1'), { mode: 0o700 });
  await writeFile(join(own.dir, 'attempt-1', 'source'), 'decrypted plaintext');
  if (sweepMs > 0) {
    await own.sweep();
    own.sweepEvery(sweepMs, () => undefined);
  }
  process.once('SIGTERM', () => {
    void own.release().then(() => process.exit(0));
  });
  // Held until a signal ends it.
  setInterval(() => undefined, 60_000);
  process.stdout.write(`${own.dir}\n`);
}

const [root, sweepMs, staleMs] = process.argv.slice(2);
hold(root, Number(sweepMs), Number(staleMs)).catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});

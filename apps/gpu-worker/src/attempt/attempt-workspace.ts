import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CleanupReceipt {
  readonly pathsRemoved: number;
  readonly bytesRemoved: number;
  readonly tempDirGone: boolean;
}

/** tmpfs when the machine has one, so decoded media never touches a disk. */
export function defaultTempRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm/airlock-worker' : join(tmpdir(), 'airlock-worker');
}

/**
 * One private directory per attempt (mode 0700). Every handler wraps its work in
 * `AttemptWorkspace.run`, whose finally always removes the directory and returns a receipt.
 */
export class AttemptWorkspace {
  private constructor(readonly dir: string) {}

  static async open(root: string, attemptId: string): Promise<AttemptWorkspace> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    const dir = join(root, attemptId);
    await mkdir(dir, { mode: 0o700 });
    return new AttemptWorkspace(dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async cleanup(): Promise<CleanupReceipt> {
    const { files, bytes } = await measure(this.dir);
    await rm(this.dir, { recursive: true, force: true });
    return { pathsRemoved: files, bytesRemoved: bytes, tempDirGone: !existsSync(this.dir) };
  }
}

/** Run work inside a fresh workspace, removed whether the work succeeds or throws. */
export async function withWorkspace<T>(
  root: string,
  attemptId: string,
  work: (ws: AttemptWorkspace) => Promise<T>,
): Promise<{ result: T; cleanup: CleanupReceipt }> {
  const ws = await AttemptWorkspace.open(root, attemptId);
  let cleanup: CleanupReceipt | undefined;
  try {
    const result = await work(ws);
    cleanup = await ws.cleanup();
    return { result, cleanup };
  } finally {
    // The failure path: nothing of the attempt may outlive it.
    if (!cleanup) await ws.cleanup();
  }
}

/** A crashed worker's leftovers are wiped when the next one starts. */
export async function wipeTempRoot(root: string): Promise<number> {
  if (!existsSync(root)) {
    await mkdir(root, { recursive: true, mode: 0o700 });
    return 0;
  }
  const entries = await readdir(root);
  await Promise.all(entries.map((e) => rm(join(root, e), { recursive: true, force: true })));
  return entries.length;
}

async function measure(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const walk = async (p: string): Promise<void> => {
    const s = await lstat(p).catch(() => undefined);
    if (!s) return;
    if (s.isDirectory()) {
      for (const e of await readdir(p)) await walk(join(p, e));
    } else {
      files++;
      bytes += (await stat(p).catch(() => s)).size;
    }
  };
  await walk(dir);
  return { files, bytes };
}

import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
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
 * One private directory per attempt (mode 0700), inside the worker's own directory
 * (worker-temp-dir.ts). Every handler wraps its work in
 * `runAttempt` (run-attempt.ts), whose finally always removes the directory and releases the grant.
 */
export class AttemptWorkspace {
  private constructor(readonly dir: string) {}

  static async open(root: string, attemptId: string): Promise<AttemptWorkspace> {
    await securedRoot(root);
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

/**
 * The root must be ours and private: a root another user created first (a predictable path on a
 * shared tmpfs) could let them swap attempt directories, so refuse it rather than use it.
 */
export async function securedRoot(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const s = await lstat(root);
  if (!s.isDirectory()) throw new Error(`worker temp root ${root} is not a directory`);
  if (typeof process.getuid === 'function' && s.uid !== process.getuid()) {
    throw new Error(`worker temp root ${root} belongs to uid ${s.uid}, not this process`);
  }
  if ((s.mode & 0o777) !== 0o700) await chmod(root, 0o700);
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
      // lstat: a symlink counts as itself; its target is outside and left alone.
      bytes += s.size;
    }
  };
  await walk(dir);
  return { files, bytes };
}

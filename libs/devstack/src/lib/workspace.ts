import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root (where nx.json is), found from the working directory upwards. */
export function workspaceRoot(from = process.cwd()): string {
  let dir = from;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Run this from inside the Airlock repository (no nx.json found).');
    dir = parent;
  }
  return dir;
}

/** Local state: s3rver data, logs, pid files. Ignored by git. */
export const stateDir = (root = workspaceRoot()) => join(root, '.airlock');

import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** The SDK player's browser entry (an ES module; its player libraries are chunks beside it). */
export const PLAYER_ENTRY = 'airlock-player.js';

/** Sources the bundle is built from: the SDK and the libraries its player imports. */
const BUNDLE_SOURCES = [
  'libs/client-sdk/src',
  'libs/client-sdk/player.webpack.config.js',
  'libs/crypto/src',
  'libs/domain/src',
  'libs/contracts/src',
];

/** The workspace root: the nearest directory above this file with an nx.json. */
export function workspaceRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no nx.json above ${__dirname}`);
  }
}

/** Where `nx run client-sdk:bundle-player` (and the build) leave the bundle. */
export function builtPlayerDir(root = workspaceRoot()): string {
  return join(root, 'dist', 'libs', 'client-sdk', 'player');
}

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) {
    if (entry === 'node_modules') continue;
    newest = Math.max(newest, await newestMtime(join(path, entry)));
  }
  return newest;
}

/**
 * The built bundle's directory when it exists and is newer than every source it is built from,
 * else undefined.
 */
export async function freshBuiltPlayerDir(
  root = workspaceRoot(),
): Promise<string | undefined> {
  const dir = builtPlayerDir(root);
  const built = await stat(join(dir, PLAYER_ENTRY)).catch(() => undefined);
  if (!built) return undefined;
  const sources = await Promise.all(
    BUNDLE_SOURCES.map((p) => newestMtime(join(root, p))),
  );
  return Math.max(...sources) <= built.mtimeMs ? dir : undefined;
}

let building: Promise<string> | undefined;

/**
 * A directory holding the SDK player's current browser bundle. The workspace's build output when
 * it is up to date; otherwise the bundle is built once per process, with the SDK's own webpack
 * config, into a private temporary directory (so parallel test processes never write over each
 * other or over dist). Pages load `<dir>/airlock-player.js` as a module.
 */
export async function playerBundleDir(): Promise<string> {
  const root = workspaceRoot();
  const fresh = await freshBuiltPlayerDir(root);
  if (fresh) return fresh;
  building ??= (async () => {
    const out = await mkdtemp(join(tmpdir(), 'airlock-player-bundle-'));
    process.once('exit', () => rmSync(out, { recursive: true, force: true }));
    const cli = require.resolve('webpack-cli/bin/cli.js', { paths: [root] });
    await promisify(execFile)(
      process.execPath,
      [cli, 'build', '-c', 'player.webpack.config.js', '--output-path', out],
      {
        cwd: join(root, 'libs', 'client-sdk'),
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    if (!existsSync(join(out, PLAYER_ENTRY)))
      throw new Error(`the player build left no ${PLAYER_ENTRY} in ${out}`);
    return out;
  })();
  building.catch(() => (building = undefined));
  return building;
}

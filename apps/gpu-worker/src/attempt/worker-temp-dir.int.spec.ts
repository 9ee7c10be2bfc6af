import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttemptWorkspace } from './attempt-workspace';
import { currentIdentity } from './process-identity';
import { OWNER_FILE, sweepOrphans, WorkerTempDir } from './worker-temp-dir';

/**
 * Workers sharing one temp root, as real processes: each holds its own directory while it lives;
 * a sweep (at start, and every period in every live worker) wipes a directory only once its
 * owner is gone. Holders are node processes running src/test/temp-dir-holder.ts.
 */

const STALE = 60_000;
const HOLDER = join(__dirname, '../test/temp-dir-holder.ts');
const children: ChildProcess[] = [];

interface Holder {
  readonly child: ChildProcess;
  readonly dir: string;
}

/** A stand-in worker holding its directory under `root`; sweeps every `sweepMs` (0: never). */
async function startHolder(root: string, sweepMs = 0): Promise<Holder> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', HOLDER, root, String(sweepMs), String(STALE)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '../../../../tsconfig.base.json'), TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_COMPILER_OPTIONS: '{"module":"commonjs"}' },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const dir = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`holder exited (${code}) before claiming: ${err}`)));
  });
  return { child, dir };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

async function pollUntil(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('worker temp directories on a shared root', () => {
  let base: string;
  let root: string;
  let n = 0;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'airlock-wtd-spec-'));
  });

  beforeEach(() => {
    root = join(base, `root-${++n}`);
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => stop(c, 'SIGKILL')));
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('claims a private 0700 directory per process, with its owner record, under a 0700 root', async () => {
    const a = await WorkerTempDir.claim(root, { staleAfterMs: STALE });
    const b = await WorkerTempDir.claim(root, { staleAfterMs: STALE });
    expect(a.dir).not.toBe(b.dir);
    expect(a.dir).toMatch(new RegExp(`/w-[A-Za-z0-9._-]+-${process.pid}-[0-9a-f]{12}$`));
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    expect((await stat(a.dir)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(join(a.dir, OWNER_FILE), 'utf8'))).toEqual(currentIdentity());
    // Two directories of one live process: neither sweep touches the other's.
    expect(await a.sweep()).toEqual({ wiped: [], failed: [] });
    expect(await b.sweep()).toEqual({ wiped: [], failed: [] });
    await a.release();
    await b.release();
    expect(await readdir(root)).toEqual([]);
  });

  it("a starting worker's sweep keeps a live worker's attempt; once that worker is SIGKILLed, the next sweep wipes it", async () => {
    const live = await startHolder(root);
    const plaintext = join(live.dir, 'attempt-1', 'source');
    expect(await readFile(plaintext, 'utf8')).toBe('decrypted plaintext');

    // A second worker starts on the same root (main.ts: claim, then sweep).
    const starting = await WorkerTempDir.claim(root, { staleAfterMs: STALE });
    expect(await starting.sweep()).toEqual({ wiped: [], failed: [] });
    expect(await readFile(plaintext, 'utf8')).toBe('decrypted plaintext');

    await stop(live.child, 'SIGKILL');
    const swept = await starting.sweep();
    expect(swept).toEqual({ wiped: [{ name: live.dir.split('/').pop(), why: 'owner_dead' }], failed: [] });
    expect(existsSync(live.dir)).toBe(false);
    expect(await readdir(root)).toEqual([starting.dir.split('/').pop()]);
    await starting.release();
  });

  it("a live worker's periodic sweep wipes a SIGKILLed worker's directory within about one period, and leaves its live peers alone", async () => {
    const sweeper = await startHolder(root, 200);
    const peer = await startHolder(root);
    const victim = await startHolder(root);
    await stop(victim.child, 'SIGKILL');
    // Nothing in this process sweeps: only the live holder can have removed it.
    await pollUntil('the killed worker directory is wiped', () => !existsSync(victim.dir), 15_000);
    expect(existsSync(join(peer.dir, 'attempt-1', 'source'))).toBe(true);
    expect(existsSync(join(sweeper.dir, 'attempt-1', 'source'))).toBe(true);
  });

  it('a worker that exits cleanly removes its own directory, attempts and all', async () => {
    const other = await startHolder(root);
    const leaving = await startHolder(root, 200);
    await stop(leaving.child, 'SIGTERM');
    expect(leaving.child.exitCode).toBe(0);
    expect(existsSync(leaving.dir)).toBe(false);
    expect(await readdir(root)).toEqual([other.dir.split('/').pop()]);
  });

  it('judges pid reuse: a record naming a live pid that started at another time is an orphan', async () => {
    await mkdir(root, { recursive: true, mode: 0o700 });
    const me = currentIdentity();
    // This very process's pid, but not this process: the worker that had the pid before it.
    await mkdir(join(root, 'w-reused'), { mode: 0o700 });
    await writeFile(join(root, 'w-reused', OWNER_FILE), JSON.stringify({ ...me, startTicks: (me.startTicks ?? 0) - 1 }));
    await writeFile(join(root, 'w-reused', 'plain'), 'x');
    // This process itself, under another directory (a second claim): alive.
    await mkdir(join(root, 'w-alive'), { mode: 0o700 });
    await writeFile(join(root, 'w-alive', OWNER_FILE), JSON.stringify(me));

    expect(await sweepOrphans(root, undefined, { staleAfterMs: STALE })).toEqual({ wiped: [{ name: 'w-reused', why: 'owner_dead' }], failed: [] });
    expect(await readdir(root)).toEqual(['w-alive']);
  });

  it('leaves a fresh directory of another host alone and wipes it once its record is stale; the same for entries without a record', async () => {
    await mkdir(root, { recursive: true, mode: 0o700 });
    const other = { ...currentIdentity(), host: 'another-pod', pid: 1 };
    for (const name of ['w-other-fresh', 'w-other-stale']) {
      await mkdir(join(root, name), { mode: 0o700 });
      await writeFile(join(root, name, OWNER_FILE), JSON.stringify(other));
    }
    const old = new Date(Date.now() - STALE - 5000);
    await utimes(join(root, 'w-other-stale', OWNER_FILE), old, old);
    await mkdir(join(root, 'no-record-recent'));
    await mkdir(join(root, 'no-record-old'));
    await writeFile(join(root, 'stray-old.tmp'), 'x');
    await utimes(join(root, 'no-record-old'), old, old);
    await utimes(join(root, 'stray-old.tmp'), old, old);

    const swept = await sweepOrphans(root, undefined, { staleAfterMs: STALE });
    expect([...swept.wiped].sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { name: 'no-record-old', why: 'unowned_old' },
      { name: 'stray-old.tmp', why: 'unowned_old' },
      { name: 'w-other-stale', why: 'owner_silent' },
    ]);
    expect((await readdir(root)).sort()).toEqual(['no-record-recent', 'w-other-fresh']);
  });

  it("keeps its record fresh on every sweep, so workers that cannot check its pid see it alive, and restores a removed record", async () => {
    const own = await WorkerTempDir.claim(root, { staleAfterMs: STALE });
    const record = join(own.dir, OWNER_FILE);
    const old = new Date(Date.now() - STALE - 5000);
    await utimes(record, old, old);
    await own.sweep();
    expect(Date.now() - (await stat(record)).mtimeMs).toBeLessThan(STALE / 2);

    await rm(own.dir, { recursive: true, force: true });
    await own.sweep();
    expect(JSON.parse(await readFile(record, 'utf8'))).toEqual(currentIdentity());
    await own.release();
  });

  it('hosts the attempt workspaces, which leave the worker directory as they found it', async () => {
    const own = await WorkerTempDir.claim(root, { staleAfterMs: STALE });
    const ws = await AttemptWorkspace.open(own.dir, 'attempt-x');
    await writeFile(ws.path('source'), 'plaintext');
    await ws.cleanup();
    expect(await readdir(own.dir)).toEqual([OWNER_FILE]);
    await own.release();
    expect(await readdir(root)).toEqual([]);
  });
});

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { securedRoot } from './attempt-workspace';
import { judgeWorkerDir, parseOwnerRecord, ProcessIdentity, ProcessState, Verdict, WorkerDirFacts } from './orphan-rule';
import { currentIdentity, readProcessState } from './process-identity';

/** The owner's record inside its directory; its mtime is the owner's last sign of life. */
export const OWNER_FILE = 'owner.json';

export interface SweepOptions {
  /** An owner a sweeper cannot check (other host or container) counts as gone after this much silence. */
  readonly staleAfterMs: number;
  /** Tests: who this process claims to be, and what /proc says. */
  readonly me?: ProcessIdentity;
  readonly probe?: (pid: number) => ProcessState | undefined;
}

export interface SweepResult {
  /** Entries wiped, with the rule's reason. */
  readonly wiped: readonly { readonly name: string; readonly why: Verdict['why'] }[];
  /** Entries the sweep could not judge or remove this time (tried again next sweep). */
  readonly failed: readonly string[];
}

/**
 * This worker process's own directory under the shared temp root (`<root>/w-<host>-<pid>-<random>`,
 * mode 0700), holding its attempts' directories and its owner record. Workers on one host share
 * the root: each wipes only directories whose owner is gone (orphan-rule.ts), at start and every
 * sweep period, so a SIGKILLed worker's plaintext goes within one period of any live worker.
 */
export class WorkerTempDir {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepResult> | undefined;

  private constructor(
    readonly root: string,
    readonly dir: string,
    private readonly me: ProcessIdentity,
    private readonly options: SweepOptions,
  ) {}

  static async claim(root: string, options: SweepOptions): Promise<WorkerTempDir> {
    await securedRoot(root);
    const me = options.me ?? currentIdentity();
    const host = me.host.replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 64);
    const dir = join(root, `w-${host}-${me.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { mode: 0o700 });
    const own = new WorkerTempDir(root, dir, me, options);
    await own.writeRecord();
    return own;
  }

  /**
   * Touch the owner record (sweepers that cannot check this pid see it alive), then wipe orphans.
   * Sweeps never overlap; a sweep asked for while one runs shares its result.
   */
  sweep(): Promise<SweepResult> {
    this.running ??= this.heartbeat()
      .then(() => sweepOrphans(this.root, this.dir, { ...this.options, me: this.me }))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Sweep every `everyMs` until release(); each result goes to `report` (a failure too). */
  sweepEvery(everyMs: number, report: (result: SweepResult | Error) => void): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      this.sweep().then(report, (e: unknown) => report(e instanceof Error ? e : new Error(String(e))));
    }, everyMs);
    this.timer.unref();
  }

  /** A clean exit: stop sweeping and remove this worker's directory with whatever is in it. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async heartbeat(): Promise<void> {
    const now = new Date();
    try {
      await utimes(join(this.dir, OWNER_FILE), now, now);
    } catch {
      // Removed under us (an operator, a sweeper that saw this worker silent too long): claim it again.
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await this.writeRecord();
    }
  }

  /** Written aside and renamed into place: a sweeper never reads half a record. */
  private async writeRecord(): Promise<void> {
    const file = join(this.dir, OWNER_FILE);
    const part = `${file}.${randomBytes(4).toString('hex')}`;
    await writeFile(part, JSON.stringify(this.me), { mode: 0o600 });
    await rename(part, file);
  }
}

/** One pass over the root: every entry but `ownDir` judged by the rule, the orphans removed. */
export async function sweepOrphans(root: string, ownDir: string | undefined, options: SweepOptions): Promise<SweepResult> {
  const ctx = { me: options.me ?? currentIdentity(), probe: options.probe ?? readProcessState, staleAfterMs: options.staleAfterMs };
  const wiped: { name: string; why: Verdict['why'] }[] = [];
  const failed: string[] = [];
  for (const name of await readdir(root)) {
    const path = join(root, name);
    if (path === ownDir) continue;
    try {
      const facts = await factsOf(path);
      if (!facts) continue; // gone meanwhile (another sweeper)
      const verdict = judgeWorkerDir(facts, ctx);
      if (!verdict.wipe) continue;
      await rm(path, { recursive: true, force: true });
      wiped.push({ name, why: verdict.why });
    } catch {
      failed.push(name);
    }
  }
  return { wiped, failed };
}

async function factsOf(path: string): Promise<WorkerDirFacts | undefined> {
  const entry = await lstat(path).catch(() => undefined);
  if (!entry) return undefined;
  const now = Date.now();
  if (entry.isDirectory()) {
    const record = join(path, OWNER_FILE);
    const [text, touched] = await Promise.all([readFile(record, 'utf8').catch(() => undefined), lstat(record).catch(() => undefined)]);
    const owner = text === undefined ? undefined : parseOwnerRecord(text);
    if (owner && touched?.isFile()) return { owner, silentForMs: now - touched.mtimeMs };
  }
  // No record (a stray file or link, an owner killed before writing one): its own age.
  return { owner: undefined, silentForMs: now - entry.mtimeMs };
}

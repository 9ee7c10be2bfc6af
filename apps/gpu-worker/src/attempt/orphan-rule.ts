/**
 * The one rule for which directories under the shared worker temp root may be wiped, at start-up
 * and in every worker's periodic sweep. Pure: what /proc says comes in through `probe`.
 *
 * Each worker process owns one directory and records in it who it is. A pid alone names no
 * owner: pids are reused, so a dead worker's pid may belong to another process by the time a
 * sweeper looks. A pid with its start time (clock ticks since boot) names one process for the
 * life of a boot, and only in its own pid namespace, on its own kernel; the host name keeps
 * containers that share a volume but not a pid namespace from judging each other's pids.
 */

export interface ProcessIdentity {
  /** Host name (a pod's name in Kubernetes, a container id in compose). */
  readonly host: string;
  /** The kernel's boot id (/proc/sys/kernel/random/boot_id); null where there is none (not Linux). */
  readonly bootId: string | null;
  /** The pid namespace (readlink /proc/self/ns/pid); null where it cannot be read. */
  readonly pidNs: string | null;
  readonly pid: number;
  /** /proc/<pid>/stat field 22: when the process started, in clock ticks since boot; null where unknown. */
  readonly startTicks: number | null;
}

/** What /proc says about a pid now (undefined when there is no such pid). */
export interface ProcessState {
  readonly startTicks: number;
  /** Dead but not yet reaped: as gone as an absent pid. */
  readonly zombie: boolean;
}

export interface WorkerDirFacts {
  /** The owner's record; undefined when the entry has none (a stray, or an owner killed before writing it). */
  readonly owner: ProcessIdentity | undefined;
  /** How long since the owner last touched its record (every sweep it makes); with no record, since the entry last changed. */
  readonly silentForMs: number;
}

export type Verdict =
  | { readonly wipe: false; readonly why: 'own' | 'owner_alive' | 'owner_unverifiable' | 'unowned_recent' }
  | { readonly wipe: true; readonly why: 'owner_dead' | 'owner_silent' | 'unowned_old' };

export interface RuleContext {
  readonly me: ProcessIdentity;
  readonly probe: (pid: number) => ProcessState | undefined;
  /** An owner this sweeper cannot check, or an entry with no owner, is wiped after this much silence. */
  readonly staleAfterMs: number;
}

/**
 * Wipe when the owner is provably gone: same host, boot and pid namespace, and its pid is absent,
 * a zombie, or a process that started at another time (the pid was reused). An owner elsewhere
 * (another host or container, another boot) is left to its own sweeps unless its record has gone
 * unrefreshed for `staleAfterMs`; an entry without a record gets the same grace, which also covers
 * the moment between a worker creating its directory and writing its record.
 */
export function judgeWorkerDir(dir: WorkerDirFacts, ctx: RuleContext): Verdict {
  const { owner } = dir;
  if (!owner) return dir.silentForMs > ctx.staleAfterMs ? { wipe: true, why: 'unowned_old' } : { wipe: false, why: 'unowned_recent' };
  if (samePidSpace(owner, ctx.me) && owner.startTicks !== null) {
    if (owner.pid === ctx.me.pid && owner.startTicks === ctx.me.startTicks) return { wipe: false, why: 'own' };
    const now = ctx.probe(owner.pid);
    const alive = now !== undefined && !now.zombie && now.startTicks === owner.startTicks;
    return alive ? { wipe: false, why: 'owner_alive' } : { wipe: true, why: 'owner_dead' };
  }
  return dir.silentForMs > ctx.staleAfterMs ? { wipe: true, why: 'owner_silent' } : { wipe: false, why: 'owner_unverifiable' };
}

/** Whether a pid in `a`'s record means the same process to `b`. Unknown parts never match. */
function samePidSpace(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.host === b.host && a.bootId !== null && a.bootId === b.bootId && a.pidNs !== null && a.pidNs === b.pidNs;
}

/** A record read back from disk, or undefined when it is not one (torn, foreign, older format). */
export function parseOwnerRecord(text: string): ProcessIdentity | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const { host, bootId, pidNs, pid, startTicks } = v as Record<string, unknown>;
  const strOrNull = (x: unknown): x is string | null => x === null || typeof x === 'string';
  const count = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (typeof host !== 'string' || !strOrNull(bootId) || !strOrNull(pidNs) || !count(pid) || pid === 0) return undefined;
  if (startTicks !== null && !count(startTicks)) return undefined;
  return { host, bootId, pidNs, pid, startTicks };
}

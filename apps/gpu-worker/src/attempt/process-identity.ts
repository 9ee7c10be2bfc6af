import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ProcessIdentity, ProcessState } from './orphan-rule';

/** Who this process is, as a sweeper on the same root will check it (orphan-rule.ts). */
export function currentIdentity(): ProcessIdentity {
  return {
    host: hostname(),
    bootId: readOrNull(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
    pidNs: readOrNull(() => readlinkSync('/proc/self/ns/pid')),
    pid: process.pid,
    startTicks: readProcessState(process.pid)?.startTicks ?? null,
  };
}

/** What /proc says about a pid in this pid namespace; undefined when it has no such pid. */
export function readProcessState(pid: number): ProcessState | undefined {
  const stat = readOrNull(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return stat === null ? undefined : parseProcStat(stat);
}

/**
 * /proc/<pid>/stat: `pid (comm) state ppid ... starttime ...`. The command name may hold spaces
 * and parentheses, so fields are counted from the last `)`: field 3 (state) comes right after it,
 * field 22 (starttime) 19 fields later.
 */
export function parseProcStat(stat: string): ProcessState | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 1).trim().split(/\s+/);
  const state = fields[0];
  const startTicks = Number(fields[19]);
  if (!state || !Number.isInteger(startTicks) || startTicks < 0) return undefined;
  // Z: exited, not reaped yet; X: being removed.
  return { startTicks, zombie: state === 'Z' || state === 'X' };
}

function readOrNull<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

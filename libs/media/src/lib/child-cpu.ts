import { readFileSync } from 'node:fs';

/** USER_HZ: Linux reports /proc times in clock ticks of 1/100 s on every mainstream arch. */
const CLOCK_TICKS_PER_SEC = 100;

/**
 * CPU seconds (user + system) of this process's reaped children, from the `cutime` and
 * `cstime` fields (16 and 17) of /proc/self/stat. Read before and after an FFmpeg run, the
 * difference is what that run burned. Runs overlapping in one process (concurrency > 1)
 * each see the others' children too; the total over all runs stays right.
 */
export function parseChildCpuSeconds(stat: string): number {
  // Field 2 (comm) is parenthesised and may hold spaces or ')': split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field n sits at rest[n - 3].
  const cutime = Number(rest[16 - 3]);
  const cstime = Number(rest[17 - 3]);
  if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) throw new Error('unparseable /proc/self/stat');
  return (cutime + cstime) / CLOCK_TICKS_PER_SEC;
}

/** Children's CPU seconds so far; 0 where /proc is missing (not Linux), so callers record nothing. */
export function readChildCpuSeconds(read: () => string = () => readFileSync('/proc/self/stat', 'utf8')): number {
  try {
    return parseChildCpuSeconds(read());
  } catch {
    return 0;
  }
}

// Reading CPU time and memory of process trees from Linux /proc.
//
// CPU of a tree = for every live process in it, utime + stime + cutime + cstime (fields 14-17 of
// /proc/<pid>/stat, clock ticks of 1/100 s). A child that exits and is reaped moves its whole
// CPU time (and that of the children it reaped) into its parent's cutime/cstime, so the sum over
// the live tree counts every process that ever ran under the root exactly once, whether it is
// still running (ffmpeg mid-encode) or already gone. The difference of two readings is the CPU
// the tree burned in between.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SEC = 100;

/** Fields of /proc/<pid>/stat as an array indexed by the man page's field numbers (1-based), or undefined when gone. */
function readStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (comm) is parenthesised and may hold spaces: split after the last ')'.
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).trim().split(/\s+/);
  return [undefined, pid, text.slice(text.indexOf('(') + 1, close), ...rest];
}

/** pid -> [child pids] for every process on the machine (one /proc scan). */
function childrenMap() {
  const map = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = readStat(Number(entry));
    if (!f) continue;
    const ppid = Number(f[4]);
    if (!map.has(ppid)) map.set(ppid, []);
    map.get(ppid).push(Number(entry));
  }
  return map;
}

function descendants(root, children) {
  const out = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop();
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU seconds of each root's tree (itself, its reaped children, its live descendants). */
export function treeCpuSeconds(roots, children = childrenMap()) {
  return Object.fromEntries(Object.entries(treeCpu(roots, children)).map(([name, c]) => [name, c.tree]));
}

/** Per root: { tree, own } CPU seconds; own is the root process alone (utime + stime), tree - own its children. */
export function treeCpu(roots, children = childrenMap()) {
  const out = {};
  for (const [name, pid] of Object.entries(roots)) {
    let ticks = 0;
    let own = 0;
    for (const p of [pid, ...descendants(pid, children)]) {
      const f = readStat(p);
      if (!f) continue;
      ticks += Number(f[14]) + Number(f[15]) + Number(f[16]) + Number(f[17]);
      if (p === pid) own = Number(f[14]) + Number(f[15]);
    }
    out[name] = { tree: ticks / TICKS_PER_SEC, own: own / TICKS_PER_SEC };
  }
  return out;
}

/**
 * The machine's own database and cache servers, as roots for treeCpu: the PostgreSQL
 * postmaster (its backends are its children) and redis-server, found by name.
 */
export function serverRoots(children = childrenMap()) {
  const roots = {};
  for (const [ppid, pids] of children) {
    for (const pid of pids) {
      const f = readStat(pid);
      if (!f) continue;
      const parent = readStat(ppid);
      if (f[2] === 'postgres' && parent?.[2] !== 'postgres') roots.postgres = pid;
      if (f[2] === 'redis-server') roots.redis = pid;
    }
  }
  return roots;
}

/** Reaped children's CPU seconds of this very process (cutime + cstime). */
export function ownChildrenCpuSeconds() {
  const f = readStat('self');
  return (Number(f[16]) + Number(f[17])) / TICKS_PER_SEC;
}

/** VmRSS and VmHWM (peak) of one process in MB, or undefined when it is gone. */
export function memoryMb(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  // A zombie (exited, not yet reaped) still has a status file, without the Vm lines.
  const mb = (key) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) / 1024 : undefined;
  };
  const rssMb = mb('VmRSS');
  return rssMb === undefined ? undefined : { rssMb, hwmMb: mb('VmHWM') };
}

/**
 * Every `intervalMs`, the CPU seconds of each root's tree and the RSS of each root and of the
 * largest live descendant. `stop()` ends it and returns the samples: [{ t, cpu: {name: s}, ownCpu: {name: s}, rss: {name: MB}, childRss: {name: MB} }].
 */
export function startSampler(roots, intervalMs = 100) {
  const samples = [];
  const sample = () => {
    const t = Date.now();
    const children = childrenMap();
    const both = treeCpu(roots, children);
    const cpu = Object.fromEntries(Object.entries(both).map(([n, c]) => [n, c.tree]));
    const ownCpu = Object.fromEntries(Object.entries(both).map(([n, c]) => [n, c.own]));
    const rss = {};
    const childRss = {};
    for (const [name, pid] of Object.entries(roots)) {
      rss[name] = memoryMb(pid)?.rssMb;
      childRss[name] = Math.max(0, ...descendants(pid, children).map((p) => memoryMb(p)?.rssMb ?? 0));
    }
    samples.push({ t, cpu, ownCpu, rss, childRss });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      sample();
      return samples;
    },
  };
}

/** The sample nearest in time to `t` (ms since the epoch). */
export function sampleAt(samples, t) {
  return samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), samples[0]);
}

#!/usr/bin/env node
// Memory flat in file size: peak RSS of each Node service while a large source streams through
// sealing, upload, the worker's download + decrypt per task and the 240p rung + audio, compared
// with a source 1/8 that size (same 60 s of 640x360 picture, the size set by CBR filler data:
// bench/lib/clips.mjs paddedClip). Each size gets a fresh isolated stack (bench/lib/stack.mjs),
// so one run's heap does not carry into the other's figures. 2 GB is under the default tenant
// policy (max_size_bytes 4 GiB, max_duration_sec 3600).
// Needs Postgres, Redis and a build (`NX_DAEMON=false npx nx run-many -t build`).
//   node bench/memory.mjs [--smoke] [--large-mb 2048] [--ratio 8] [--seconds 60]
// --smoke: 50 MB vs 10 MB, 10 s. Prints idle and peak RSS per process and the large/small ratio;
// writes bench/results/memory-<timestamp>.{json,svg}.
//
// RSS: VmRSS from /proc/<pid>/status every 100 ms from the sender's start to ready, per service
// process (its FFmpeg children apart, as "largest child"); also the local store (s3rver, the
// dev stand-in for S3) and the sender (the CLI), which are not services. VmHWM (peak since the
// process started, boot included) is kept in the JSON.
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { paddedClip } from './lib/clips.mjs';
import { memoryMb, startSampler } from './lib/proc.mjs';
import { machine, printTable, round, writeResults } from './lib/report.mjs';
import { requireBuild, SERVICES, startStack, stateTimes } from './lib/stack.mjs';
import { startTranscode } from './lib/transcode.mjs';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    'large-mb': { type: 'string' },
    ratio: { type: 'string' },
    seconds: { type: 'string' },
    profiles: { type: 'string', default: '240p' },
  },
});
const smoke = values.smoke;
const largeMb = Number(values['large-mb'] ?? (smoke ? 50 : 2048));
const ratio = Number(values.ratio ?? (smoke ? 5 : 8));
const seconds = Number(values.seconds ?? (smoke ? 10 : 60));
requireBuild();
const machineAtStart = machine();
const MB = 1024 * 1024;
const sizes = [
  { label: `${(largeMb / ratio).toFixed(0)} MB`, file: paddedClip({ bytes: (largeMb / ratio) * MB, seconds }) },
  { label: `${largeMb} MB`, file: paddedClip({ bytes: largeMb * MB, seconds }) },
];

async function measure({ label, file }) {
  const stack = await startStack('memory');
  try {
    const roots = { ...Object.fromEntries(SERVICES.map((s) => [s, stack.pids[s]])), storage: stack.pids.storage };
    await new Promise((r) => setTimeout(r, 2000));
    const idle = Object.fromEntries(Object.entries(roots).map(([k, pid]) => [k, memoryMb(pid)?.rssMb]));
    const sampler = startSampler(roots, 100);
    const started = Date.now();
    const t = startTranscode(file, { apiUrl: stack.apiUrl, profiles: values.profiles });
    const sender = startSampler({ sender: t.pid }, 100);
    const result = await t.done;
    const samples = sampler.stop();
    const senderSamples = sender.stop();
    const hwm = Object.fromEntries(Object.entries(roots).map(([k, pid]) => [k, memoryMb(pid)?.hwmMb]));
    const { times } = await stateTimes(stack.db, result.mediaId);
    const peak = (key, name) => Math.max(0, ...samples.map((s) => s[key][name] ?? 0));
    const processes = Object.fromEntries(Object.keys(roots).map((k) => [k, { idleMb: idle[k], peakMb: peak('rss', k), hwmMb: hwm[k], largestChildMb: peak('childRss', k) }]));
    processes.sender = { idleMb: undefined, peakMb: Math.max(0, ...senderSamples.map((s) => s.rss.sender ?? 0)), hwmMb: undefined, largestChildMb: 0 };
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM attempts a JOIN tasks t ON t.id = a.task_id JOIN jobs j ON j.id = t.job_id WHERE j.media_id = $1`, [result.mediaId]);
    return {
      label,
      sizeBytes: statSync(file).size,
      sendSec: (times.uploaded - started) / 1000,
      readySec: (times.ready - times.uploaded) / 1000,
      attempts: rows[0].n,
      samples: samples.length,
      processes,
    };
  } catch (e) {
    await stack.stop({ keepLogs: true });
    throw e;
  } finally {
    await stack.stop();
  }
}

const runs = [];
for (const s of sizes) {
  runs.push(await measure(s));
  process.stderr.write(`${s.label}: sent in ${runs.at(-1).sendSec.toFixed(1)} s, ready ${runs.at(-1).readySec.toFixed(1)} s after upload-complete\n`);
}
const [small, large] = runs;
const names = [...SERVICES, 'storage', 'sender'];
const note = { storage: ' (s3rver, dev only)', sender: ' (CLI, not a service)' };
console.log(
  `\nmemory bench${smoke ? ' (smoke)' : ''}: ${seconds} s 640x360 sources of ${(small.sizeBytes / 1e6).toFixed(0)} MB and ${(large.sizeBytes / 1e6).toFixed(0)} MB, profiles ${values.profiles} + audio; ` +
    `${machineAtStart.cpus} cores, load average at start ${machineAtStart.loadavg.join(' ')}, now ${machine().loadavg.join(' ')}\n`,
);
printTable([
  ['process', 'idle MB', `peak ${small.label}`, `peak ${large.label}`, 'large / small', `largest child ${small.label}`, `largest child ${large.label}`],
  ...names.map((n) => [
    `${n}${note[n] ?? ''}`,
    small.processes[n].idleMb?.toFixed(0) ?? '',
    small.processes[n].peakMb.toFixed(0),
    large.processes[n].peakMb.toFixed(0),
    (large.processes[n].peakMb / small.processes[n].peakMb).toFixed(2),
    small.processes[n].largestChildMb ? small.processes[n].largestChildMb.toFixed(0) : '',
    large.processes[n].largestChildMb ? large.processes[n].largestChildMb.toFixed(0) : '',
  ]),
]);
console.log(`\nsend (seal + upload) ${small.sendSec.toFixed(1)} s / ${large.sendSec.toFixed(1)} s; upload-complete -> ready ${small.readySec.toFixed(1)} s / ${large.readySec.toFixed(1)} s; attempts ${small.attempts} / ${large.attempts}`);

writeResults(
  'memory',
  {
    smoke,
    seconds,
    profiles: values.profiles,
    runs,
    peakRatioLargeOverSmall: Object.fromEntries(names.map((n) => [n, round(large.processes[n].peakMb / small.processes[n].peakMb)])),
    machine: machineAtStart,
  },
  {
    title: `Peak RSS per process: ${small.label} vs ${large.label} source`,
    subtitle: `${machineAtStart.cpus} cores, load ${machineAtStart.loadavg.join(' ')}; VmRSS every 100 ms from send to ready`,
    unit: 'MB',
    groups: names.map((n) => ({ label: n, bars: runs.map((r) => ({ label: r.label, value: r.processes[n].peakMb })) })),
  },
);

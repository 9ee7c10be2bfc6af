#!/usr/bin/env node
// Scale model: the reference one-hour 4K HDR source (600 segments of 6 s x the 8 rungs =
// 4,800 tasks) through the real control plane (api grants and attempt rows, orchestrator plan,
// record and publish, BullMQ flows, verifier, manifester, Postgres, Redis, the local store)
// with N simulated workers: null-class workers (bench/../apps/gpu-worker null encoder) that
// answer the probe with the modelled 4K source (NULL_ENCODER_PROBE) and sleep a modelled
// encode time per rung (NULL_ENCODER_DELAY_MS) before writing their tiny outputs, run as
// concurrency in a few worker processes. Targets: time to ready < 5 min at 600 workers,
// control-plane overhead < 2 % of the ideal.
// Needs Postgres, Redis and a build (`NX_DAEMON=false npx nx run-many -t build`).
//   node bench/scale-model.mjs [--smoke] [--workers 50,200,600] [--scale 1] [--processes 3]
//
// Encode-time model (seconds per 6 s segment on one hardware-encoder worker slot; an
// assumption, edit MODEL to taste): see MODEL below. Ideal = the makespan of the same tasks,
// in the order the planner queues them (lower rungs first), list-scheduled on N workers with
// zero overhead: what a perfect control plane would achieve. Time scale: every modelled sleep
// is multiplied by --scale (1 = real time); the ideal is computed at the same scale, and the
// overhead measured at that scale (seconds of measured - ideal) is added to the unscaled ideal
// for the predicted time to ready. A scale below 1 packs the same 4,800 tasks into less time,
// so the control plane works harder than it would at full scale: the prediction is pessimistic.
// On this 2-core machine the simulated workers' own per-task work (source fetch and
// decryption, packaging, hashing, uploads) shares the cores with the control plane; the CPU
// split is printed so the two can be told apart.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { testClip } from './lib/clips.mjs';
import { addWorkers, sealOnce, sendMedia, waitFinal } from './lib/cp-media.mjs';
import { treeCpuSeconds } from './lib/proc.mjs';
import { machine, printTable, round, writeResults } from './lib/report.mjs';
import { requireBuild, startStack } from './lib/stack.mjs';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    workers: { type: 'string' },
    scale: { type: 'string' },
    processes: { type: 'string' },
    minutes: { type: 'string' },
  },
});
const smoke = values.smoke;
const WORKER_COUNTS = (values.workers ?? (smoke ? '8,32' : '50,200,600')).split(',').map(Number);
const SCALE = Number(values.scale ?? (smoke ? 0.2 : 1));
const PROCESSES = Number(values.processes ?? (smoke ? 1 : 3));
const MINUTES = Number(values.minutes ?? (smoke ? 1 : 60));
const SEGMENT_SEC = 6;
const FPS = 30;
const SEGMENTS = (MINUTES * 60) / SEGMENT_SEC;
/** Modelled encode seconds of one 6 s segment per rung, on one hardware-encoder slot (NVENC class). */
const MODEL = { '240p': 0.6, '360p': 0.8, '480p': 1.1, '720p': 1.8, '1080p': 3.0, '1080p_hdr': 4.5, '2160p': 9.0, '2160p_hdr': 11.0 };
const RUNGS = smoke ? ['240p', '2160p'] : Object.keys(MODEL);

requireBuild();
const machineAtStart = machine();
const benchStart = Date.now();
const log = (m) => console.error(`[scale-model +${((Date.now() - benchStart) / 1000).toFixed(1)} s] ${m}`);

/** The modelled source as ffprobe would describe it: 4K HDR (PQ) HEVC, a keyframe every 6 s, no audio. */
function modelProbe() {
  const durationSec = MINUTES * 60;
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec,
    sizeBytes: Math.round(durationSec * 40e6 / 8),
    video: {
      codec: 'hevc',
      width: 3840,
      height: 2160,
      rotation: 0,
      fps: { num: FPS, den: 1 },
      variableFrameRate: false,
      hdr: 'pq',
      durationSec,
      frameCount: durationSec * FPS,
      keyframeTimes: Array.from({ length: SEGMENTS }, (_, i) => i * SEGMENT_SEC),
    },
  };
}

/** Zero-overhead makespan: tasks in queue order, each to the worker that frees up first. */
function listSchedule(durations, workers) {
  const free = new Array(Math.min(workers, durations.length)).fill(0);
  let makespan = 0;
  for (const d of durations) {
    let best = 0;
    for (let i = 1; i < free.length; i++) if (free[i] < free[best]) best = i;
    free[best] += d;
    makespan = Math.max(makespan, free[best]);
  }
  return makespan;
}

// Queue order of the planner (tasksOf): rung by rung, lower rungs first, segments in order.
const taskSeconds = RUNGS.flatMap((r) => Array.from({ length: SEGMENTS }, () => MODEL[r]));
/** The reference (one hour, 600 segments x 8 rungs), whatever --minutes ran. */
const REF_TASKS = Object.keys(MODEL).flatMap((r) => Array.from({ length: 600 }, () => MODEL[r]));

async function runOnce(workers) {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-scale-'));
  const perProcess = Math.ceil(workers / PROCESSES);
  const delayMs = Object.fromEntries(RUNGS.map((r) => [r, Math.round(MODEL[r] * SCALE * 1000)]));
  const env = {
    WORKER_CLASS: 'null',
    NULL_ENCODER_PROBE: JSON.stringify(modelProbe()),
    NULL_ENCODER_DELAY_MS: JSON.stringify(delayMs),
    CONCURRENCY: String(perProcess),
    // 600 attempts in flight: a heartbeat every 10 s, silence after 60 s.
    HEARTBEAT_SEC: '10',
    ATTEMPT_SILENCE_SEC: '60',
    // Hundreds of attempts starting at once overflow the api's Postgres pool (10 connections,
    // Prisma's 2 s wait for a transaction): the refused grant exchanges fail their attempt, and
    // the default 3 tries fail the media (seen at 600 workers). More tries let the run finish;
    // the refusals show up as attempts beyond tasks and as overhead.
    TASK_ATTEMPTS: '20',
    LOG_LEVEL: 'warn',
  };
  const stack = await startStack(`scale${workers}`, env);
  let extra;
  let ready = false;
  try {
    extra = await addWorkers(stack, PROCESSES - 1);
    log(`N=${workers}: stack up (${PROCESSES} worker processes x ${perProcess})`);
    const sealed = sealOnce(testClip({ seconds: 2, width: 320, height: 180 }), stack.apiUrl, dir);
    const roots = { ...stack.pids };
    extra.pids.forEach((pid, i) => (roots[`gpu-worker-${i + 2}`] = pid));
    const cpuBefore = treeCpuSeconds(roots);
    const { id } = await sendMedia(stack.apiUrl, sealed, { profiles: RUNGS, idempotencyKey: `scale-${workers}` });
    const counts = await waitFinal(stack.db, [id], (smoke ? 120 : 3 * 3600) * 1000);
    const cpuAfter = treeCpuSeconds(roots);
    ready = counts.ready === 1;
    const { rows: ev } = await stack.db.query(
      `SELECT (SELECT min(at) FROM events WHERE media_id = $1 AND to_state = 'uploaded') AS uploaded,
              (SELECT min(at) FROM events WHERE media_id = $1 AND to_state = 'ready') AS ready,
              (SELECT min(at) FROM events WHERE media_id = $1 AND type = 'planned') AS planned`,
      [id],
    );
    const { rows: att } = await stack.db.query(
      `SELECT count(*)::int AS attempts, min(a.started_at) AS first_start, max(a.finished_at) AS last_finish,
              count(DISTINCT t.id)::int AS tasks
         FROM attempts a JOIN tasks t ON t.id = a.task_id JOIN jobs j ON j.id = t.job_id
        WHERE j.media_id = $1 AND t.kind = 'video'`,
      [id],
    );
    const e = ev[0];
    const a = att[0];
    const measured = e.ready ? (e.ready.getTime() - e.uploaded.getTime()) / 1000 : undefined;
    // The slots that actually ran (N rounded up to a multiple of the processes).
    const slots = perProcess * PROCESSES;
    const idealScaled = listSchedule(taskSeconds.map((s) => s * SCALE), slots);
    const ideal = listSchedule(taskSeconds, slots);
    const cpu = Object.fromEntries(Object.keys(roots).map((k) => [k, round(cpuAfter[k] - cpuBefore[k], 1)]));
    const workerCpu = Object.entries(cpu).filter(([k]) => k.startsWith('gpu-worker')).reduce((n, [, v]) => n + v, 0);
    const controlCpu = ['api', 'orchestrator', 'verifier', 'manifester', 'storage'].reduce((n, k) => n + (cpu[k] ?? 0), 0);
    const overheadSec = measured === undefined ? undefined : measured - idealScaled;
    const cpSecPerTask = controlCpu / a.tasks;
    const idealRef = listSchedule(REF_TASKS, slots);
    return {
      workers,
      slots,
      processes: PROCESSES,
      state: counts,
      tasks: a.tasks,
      attempts: a.attempts,
      idealScaledSec: idealScaled,
      measuredSec: measured,
      overheadSec,
      overheadPct: overheadSec === undefined ? undefined : (100 * overheadSec) / idealScaled,
      idealSec: ideal,
      predictedSec: overheadSec === undefined ? undefined : ideal + overheadSec,
      predictedOverheadPct: overheadSec === undefined ? undefined : (100 * overheadSec) / ideal,
      toFirstTaskSec: (a.first_start.getTime() - e.uploaded.getTime()) / 1000,
      lastTaskToReadySec: e.ready ? (e.ready.getTime() - a.last_finish.getTime()) / 1000 : undefined,
      cpuSec: cpu,
      controlPlaneCpuMsPerTask: (1000 * controlCpu) / a.tasks,
      workerCpuMsPerTask: (1000 * workerCpu) / a.tasks,
      // Extrapolation to the reference from the CPU the control plane spent per task here:
      // the cores it needs to keep N workers fed, and the time it needs on this machine's cores.
      reference: {
        tasks: REF_TASKS.length,
        idealSec: idealRef,
        controlPlaneCoresToKeepUp: (REF_TASKS.length * cpSecPerTask) / idealRef,
        controlPlaneBoundSecOnThisMachine: (REF_TASKS.length * cpSecPerTask) / machineAtStart.cpus,
      },
    };
  } finally {
    await extra?.stop();
    await stack.stop({ keepLogs: !ready });
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = [];
for (const n of WORKER_COUNTS) {
  runs.push(await runOnce(n));
  log(`N=${n}: ${JSON.stringify(runs.at(-1))}`);
}
const at600 = runs.find((r) => r.workers === 600);
const figures = {
  smoke,
  source: { minutes: MINUTES, segments: SEGMENTS, segmentSec: SEGMENT_SEC, fps: FPS, rungs: RUNGS, tasks: SEGMENTS * RUNGS.length },
  model: Object.fromEntries(RUNGS.map((r) => [r, MODEL[r]])),
  scale: SCALE,
  runs,
  targets: { readyAt600Sec: 300, overheadPct: 2 },
  met: at600 ? at600.predictedSec < 300 && at600.predictedOverheadPct < 2 : undefined,
  machineAtStart,
};
console.log(`\nscale model on ${machineAtStart.cpus} cores (load ${machineAtStart.loadavg.join(' ')}): ${SEGMENTS} segments x ${RUNGS.length} rungs = ${SEGMENTS * RUNGS.length} tasks, sleeps x${SCALE}`);
printTable([
  ['workers', 'ideal @scale s', 'measured s', 'overhead s', 'overhead %', 'ideal @1x s', 'predicted s', 'pred. overhead %', 'upload->1st task s', 'last task->ready s', 'cp CPU ms/task', 'worker CPU ms/task'],
  ...runs.map((r) => [
    r.workers,
    round(r.idealScaledSec, 1),
    round(r.measuredSec, 1),
    round(r.overheadSec, 1),
    round(r.overheadPct, 1),
    round(r.idealSec, 1),
    round(r.predictedSec, 1),
    round(r.predictedOverheadPct, 1),
    round(r.toFirstTaskSec, 1),
    round(r.lastTaskToReadySec, 1),
    round(r.controlPlaneCpuMsPerTask, 0),
    round(r.workerCpuMsPerTask, 0),
  ]),
]);
printTable([
  ['reference (4,800 tasks)', 'ideal s', 'control-plane cores to keep up', `control-plane bound on ${machineAtStart.cpus} cores, s`],
  ...runs.map((r) => [`${r.workers} workers`, round(r.reference.idealSec, 1), round(r.reference.controlPlaneCoresToKeepUp, 1), round(r.reference.controlPlaneBoundSecOnThisMachine, 0)]),
]);
if (at600) console.log(`targets at 600 workers: ready < 300 s and overhead < 2 %: ${figures.met ? 'met' : 'NOT met'}`);
writeResults('scale-model', figures, {
  title: 'Scale model: time to ready, ideal vs measured (s, at the run scale)',
  subtitle: `${SEGMENTS * RUNGS.length} tasks, modelled encode times x${SCALE}, ${machineAtStart.cpus} cores`,
  unit: 's',
  groups: runs.map((r) => ({ label: `${r.workers} workers`, bars: [{ label: 'ideal', value: r.idealScaledSec }, { label: 'measured', value: r.measuredSec ?? 0 }] })),
});
process.exit(0);

#!/usr/bin/env node
// Control-plane throughput: work tasks per second through the whole real path with the null
// encoder (WORKER_CLASS=null: grant exchange and attempt rows, source download and decryption,
// packaging, whole-segment AES-128 encryption, hashes, presigned uploads, cleanup receipt,
// record, verify, manifest, publish; only FFmpeg is replaced), against raw BullMQ jobs per second (a trivial processor,
// same Redis, same worker concurrency). Target: the full path at >= 25 % of raw BullMQ.
// Needs Postgres, Redis and a build (`NX_DAEMON=false npx nx run-many -t build`).
//   node bench/control-plane.mjs [--smoke] [--media 12] [--seconds 60] [--concurrency 8] [--workers 2]
// Each media is a --seconds 480p clip at 100 kb/s (keyframe every 2 s; every task fetches and
// decrypts it) with the 240p/360p/480p ladder and audio: (segments of ~6 s) x 3 + 1 audio task. Throughput is counted two ways: all tasks over
// first upload-complete -> last ready, and steady state (tasks finished between the 10th and
// 90th percentile of attempt finish times). Writes bench/results/control-plane-<ts>.{json,svg}.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { testClip } from './lib/clips.mjs';
import { addWorkers, percentile, pool, sealOnce, sendMedia, waitFinal } from './lib/cp-media.mjs';
import { machine, printTable, round, writeResults } from './lib/report.mjs';
import { serverRoots, treeCpu } from './lib/proc.mjs';
import { requireBuild, startStack } from './lib/stack.mjs';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    media: { type: 'string' },
    seconds: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    workers: { type: 'string' },
    'raw-jobs': { type: 'string' },
  },
});
const smoke = values.smoke;
const MEDIA = Number(values.media ?? (smoke ? 2 : 12));
const SECONDS = Number(values.seconds ?? (smoke ? 8 : 60));
const CONCURRENCY = Number(values.concurrency);
const WORKERS = Number(values.workers ?? (smoke ? 1 : 2));
const RAW_JOBS = Number(values['raw-jobs'] ?? (smoke ? 2000 : 20000));
const PROFILES = ['240p', '360p', '480p'];
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

requireBuild();
const machineAtStart = machine();
const benchStart = Date.now();
const log = (m) => console.error(`[control-plane +${((Date.now() - benchStart) / 1000).toFixed(1)} s] ${m}`);

/** Raw BullMQ: RAW_JOBS jobs added in bulk, a Worker with a processor that returns at once, same total concurrency. */
async function rawBullmq() {
  const prefix = `bench-raw-${process.pid}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('raw', { connection, prefix });
  const started = performance.now();
  for (let i = 0; i < RAW_JOBS; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, RAW_JOBS - i) }, (_, j) => ({ name: 'noop', data: { i: i + j }, opts: { removeOnComplete: true } })));
  }
  const addedMs = performance.now() - started;
  let done = 0;
  const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const finished = new Promise((resolve) => {
    const worker = new Worker(
      'raw',
      async () => {
        if (++done === RAW_JOBS) resolve(worker);
        return 1;
      },
      { connection: workerConnection, prefix, concurrency: CONCURRENCY * WORKERS },
    );
  });
  const t0 = performance.now();
  const worker = await finished;
  const processMs = performance.now() - t0;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  workerConnection.disconnect();
  return { jobs: RAW_JOBS, addPerSec: RAW_JOBS / (addedMs / 1000), jobsPerSec: RAW_JOBS / (processMs / 1000), concurrency: CONCURRENCY * WORKERS };
}

async function fullPath() {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-cp-'));
  const policies = join(dir, 'policies.json');
  writeFileSync(policies, JSON.stringify({ default: { quotas: { max_active_media_per_tenant: MEDIA + 100, max_active_media_per_room: MEDIA + 100 } } }));
  const stack = await startStack('controlplane', { WORKER_CLASS: 'null', CONCURRENCY: String(CONCURRENCY), TENANT_POLICIES_FILE: policies, LOG_LEVEL: 'warn' });
  let extra;
  let allReady = false;
  log('stack up');
  try {
    extra = await addWorkers(stack, WORKERS - 1);
    // A light source (100 kb/s video): every task downloads and decrypts it, and that is not the control plane.
    const file = testClip({ seconds: SECONDS, width: 854, height: 480, videoKbps: 100 });
    const sealed = sealOnce(file, stack.apiUrl, dir);
    const roots = { ...stack.pids, ...serverRoots() };
    extra.pids.forEach((pid, i) => (roots[`gpu-worker-${i + 2}`] = pid));
    const cpuBefore = treeCpu(roots);
    const t0 = Date.now();
    const sent = await pool(Array.from({ length: MEDIA }, (_, i) => i), 4, (i) => sendMedia(stack.apiUrl, sealed, { profiles: PROFILES, idempotencyKey: `cp-${i}` }));
    const ids = sent.map((s) => s.id);
    const sentSec = (Date.now() - t0) / 1000;
    log(`${MEDIA} media sent in ${sentSec.toFixed(1)} s`);
    const counts = await waitFinal(stack.db, ids, (smoke ? 120 : 1800) * 1000);
    const cpuAfter = treeCpu(roots);
    const { rows: tasks } = await stack.db.query(
      `SELECT t.kind, t.state, a.started_at, a.finished_at, t.created_at
         FROM tasks t JOIN jobs j ON j.id = t.job_id
         LEFT JOIN attempts a ON a.id = t.winning_attempt_id
        WHERE j.media_id = ANY($1::uuid[]) AND t.kind <> 'probe'`,
      [ids],
    );
    const { rows: readyRows } = await stack.db.query(`SELECT max(at) AS last FROM events WHERE media_id = ANY($1::uuid[]) AND to_state = 'ready'`, [ids]);
    const { rows: attemptRows } = await stack.db.query(
      `SELECT count(*)::int AS n, avg(extract(epoch FROM a.finished_at - a.started_at))::float AS avg_sec
         FROM attempts a JOIN tasks t ON t.id = a.task_id JOIN jobs j ON j.id = t.job_id WHERE j.media_id = ANY($1::uuid[]) AND t.kind <> 'probe'`,
      [ids],
    );
    allReady = (counts.ready ?? 0) === MEDIA;
    log(`final: ${JSON.stringify(counts)}`);
    const succeeded = tasks.filter((t) => t.state === 'succeeded');
    const wallSec = ((readyRows[0].last?.getTime() ?? Date.now()) - t0) / 1000;
    const finishes = succeeded.map((t) => t.finished_at?.getTime()).filter(Boolean).sort((a, b) => a - b);
    const p10 = percentile(finishes, 10);
    const p90 = percentile(finishes, 90);
    const steady = finishes.filter((f) => f >= p10 && f <= p90).length;
    return {
      media: MEDIA,
      secondsPerMedia: SECONDS,
      profiles: PROFILES,
      workers: WORKERS,
      concurrencyPerWorker: CONCURRENCY,
      states: counts,
      tasks: tasks.length,
      tasksSucceeded: succeeded.length,
      attempts: attemptRows[0].n,
      attemptAvgSec: attemptRows[0].avg_sec,
      sendSec: sentSec,
      wallSec,
      tasksPerSec: succeeded.length / wallSec,
      // CPU milliseconds per succeeded task, per process (own = the Node process, children = ffmpeg/packager it spawned).
      cpuMsPerTask: Object.fromEntries(
        Object.keys(roots).map((k) => [
          k,
          {
            own: round((1000 * (cpuAfter[k].own - cpuBefore[k].own)) / succeeded.length, 1),
            children: round((1000 * (cpuAfter[k].tree - cpuAfter[k].own - (cpuBefore[k].tree - cpuBefore[k].own))) / succeeded.length, 1),
          },
        ]),
      ),
      steadyTasksPerSec: p90 > p10 ? steady / ((p90 - p10) / 1000) : undefined,
    };
  } finally {
    await extra?.stop();
    await stack.stop({ keepLogs: !allReady });
    log('stack stopped');
    rmSync(dir, { recursive: true, force: true });
  }
}

const raw = await rawBullmq();
log(`raw BullMQ: ${raw.jobsPerSec.toFixed(0)} jobs/s`);
const full = await fullPath();
const ratio = (full.steadyTasksPerSec ?? full.tasksPerSec) / raw.jobsPerSec;
const figures = {
  smoke,
  raw,
  full,
  ratioSteady: full.steadyTasksPerSec === undefined ? undefined : full.steadyTasksPerSec / raw.jobsPerSec,
  ratioEndToEnd: full.tasksPerSec / raw.jobsPerSec,
  target: 0.25,
  met: ratio >= 0.25,
  machineAtStart,
};
console.log(`\ncontrol-plane throughput on ${machineAtStart.cpus} cores (load ${machineAtStart.loadavg.join(' ')})`);
printTable([
  ['measure', 'value'],
  ['raw BullMQ jobs/s (trivial processor, concurrency ' + raw.concurrency + ')', round(raw.jobsPerSec, 0)],
  ['media x tasks (ready / all)', `${full.media} x ${Math.round(full.tasks / full.media)} (${full.states.ready ?? 0} / ${full.media})`],
  ['tasks succeeded / attempts', `${full.tasksSucceeded} / ${full.attempts}`],
  ['null-encoder attempt, mean (s)', round(full.attemptAvgSec, 3)],
  ['full path tasks/s, upload-complete -> last ready', round(full.tasksPerSec, 1)],
  ['full path tasks/s, steady (p10-p90 finishes)', round(full.steadyTasksPerSec, 1)],
  ...Object.entries(full.cpuMsPerTask).map(([k, v]) => [`CPU ms per task: ${k} (own + children)`, `${v.own} + ${v.children}`]),
  ['full path / raw BullMQ', `${round(100 * ratio, 2)} %`],
  ['target >= 25 %', figures.met ? 'met' : 'NOT met'],
]);
writeResults('control-plane', figures, {
  title: 'Control-plane throughput (jobs or tasks per second)',
  subtitle: `${machineAtStart.cpus} cores; full path = null encoder through grants, packaging, uploads, record, verify, manifest, publish`,
  unit: '/s',
  groups: [
    { label: 'raw BullMQ', bars: [{ label: 'jobs/s', value: raw.jobsPerSec }] },
    { label: 'full path (steady)', bars: [{ label: 'jobs/s', value: full.steadyTasksPerSec ?? 0 }] },
    { label: 'full path (end to end)', bars: [{ label: 'jobs/s', value: full.tasksPerSec }] },
    { label: '25 % of raw (target)', bars: [{ label: 'jobs/s', value: raw.jobsPerSec * 0.25 }] },
  ],
});
// Nothing else to wait for (stray sockets of the clients must not keep the bench alive).
process.exit(0);

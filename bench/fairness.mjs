#!/usr/bin/env node
// Lane fairness: a backlog of long media saturates the long lane while short clips arrive at a
// steady rate; how long do the short clips' tasks and their thumbnails wait in the queue?
// Everything runs the real control plane with the null encoder (WORKER_CLASS=null), so the
// figures are the control plane's and the lanes', not FFmpeg's. Target: short-lane p99 queue
// wait < 2 s while the long lane is saturated, and no job lost (every media ready, every task
// counted once).
// Needs Postgres, Redis and a build (`NX_DAEMON=false npx nx run-many -t build`).
//   node bench/fairness.mjs [--smoke] [--long 60] [--short 120] [--rate 2] [--workers 2] [--concurrency 4]
// Long media: 24 s clips (the short lane ends at SHORT_LANE_MAX_SEC=10 here) with the
// 240p/360p/480p ladder and audio, 13 tasks each on the long lane (4 segments x 3 + audio), and
// their probe too (PROBE_SHORT_LANE_MAX_BYTES is scaled like the lane's duration). Short media: 2 s clips with
// the preview, 240p, audio, poster and animated preview (the thumbnails), sent at --rate per
// second once the long lane has a backlog. Queue wait of a task = its first attempt's start -
// the task's creation (the plan's transaction, just before its flow is added).
// --backlog-end: `ready` waits for every long media to be ready (the default up to 500 long
// media); `account` (the default above, e.g. the 10,000-media run: `--long 9880 --short 120
// --rate 0.5`, whose backlog would take hours) stops once the short clips are final and checks
// that every long media is ready or has its flow alive in Redis (the root of its ladder flow, its
// probe flow or its start job): a media with neither is lost. In `account` the work lanes are
// paused while the backlog is sent (the api admits about 15 media/s on its own and 2/s beside a
// saturated pipeline), so the backlog is there at once, as after a burst or an outage.
// Writes bench/results/fairness-<ts>.{json,svg}.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { testClip } from './lib/clips.mjs';
import { addWorkers, percentile, pool, sealOnce, sendMedia, stateCounts, waitFinal } from './lib/cp-media.mjs';
import { machine, printTable, round, writeResults } from './lib/report.mjs';
import { requireBuild, startStack } from './lib/stack.mjs';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    long: { type: 'string' },
    short: { type: 'string' },
    rate: { type: 'string' },
    workers: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    'backlog-end': { type: 'string' },
  },
});
const smoke = values.smoke;
const LONG = Number(values.long ?? (smoke ? 4 : 60));
const SHORT = Number(values.short ?? (smoke ? 8 : 120));
const RATE = Number(values.rate ?? 2);
const WORKERS = Number(values.workers ?? (smoke ? 1 : 2));
const CONCURRENCY = Number(values.concurrency);
const BACKLOG_END = values['backlog-end'] ?? (LONG <= 500 ? 'ready' : 'account');
if (!['ready', 'account'].includes(BACKLOG_END)) throw new Error(`--backlog-end is ready or account, not ${BACKLOG_END}`);
const LONG_PROFILES = ['240p', '360p', '480p'];
const SHORT_PROFILES = ['preview_360p', '240p', 'poster', 'animated_preview'];
const THUMBNAILS = new Set(['poster', 'animated_preview']);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

requireBuild();
const machineAtStart = machine();
const benchStart = Date.now();
const log = (m) => console.error(`[fairness +${((Date.now() - benchStart) / 1000).toFixed(1)} s] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-fair-'));
const policies = join(dir, 'policies.json');
const total = LONG + SHORT;
writeFileSync(policies, JSON.stringify({ default: { quotas: { max_active_media_per_tenant: total + 100, max_active_media_per_room: total + 100 } } }));
const longClip = testClip({ seconds: 24, width: 854, height: 480, videoKbps: 100 });
const shortClip = testClip({ seconds: 2, width: 854, height: 480, videoKbps: 100 });
// The lanes scaled down alike: media up to 10 s are short, and so are sources up to 10 s of these clips' bitrate for their probe.
const probeShortMaxBytes = Math.round(statSync(longClip).size * (10 / 24));
const stack = await startStack('fairness', {
  WORKER_CLASS: 'null',
  CONCURRENCY: String(CONCURRENCY),
  SHORT_LANE_MAX_SEC: '10',
  PROBE_SHORT_LANE_MAX_BYTES: String(probeShortMaxBytes),
  TENANT_POLICIES_FILE: policies,
  LOG_LEVEL: 'warn',
});
const prefix = stack.schema.replace(/^bench_/, 'bench-');
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
let extra;
let allReady = false;
let figures;
try {
  extra = await addWorkers(stack, WORKERS - 1);
  log('stack up');
  const longSealed = sealOnce(longClip, stack.apiUrl, dir);
  const shortSealed = sealOnce(shortClip, stack.apiUrl, dir);

  const waiting = async (lane) => {
    const [wait, prio] = await Promise.all([redis.llen(`${prefix}:${lane}:wait`), redis.zcard(`${prefix}:${lane}:prioritized`)]);
    return wait + prio;
  };
  const lanes = ['short', 'long'].map((name) => new Queue(name, { connection: redis, prefix }));
  if (BACKLOG_END === 'account') await Promise.all(lanes.map((q) => q.pause()));
  const longIds = (
    await pool(Array.from({ length: LONG }, (_, i) => i), 4, async (i) => {
      if (i > 0 && i % 1000 === 0) log(`${i} long media sent`);
      return sendMedia(stack.apiUrl, longSealed, { profiles: LONG_PROFILES, idempotencyKey: `long-${i}` });
    })
  ).map((s) => s.id);
  log(`${LONG} long media sent`);
  await Promise.all(lanes.map((q) => q.resume()));
  // The long lane is saturated once it has more waiting than the workers can take at once.
  for (let i = 0; i < 120 && (await waiting('long')) < CONCURRENCY * WORKERS * 2; i++) await sleep(500);
  log(`long lane backlog: ${await waiting('long')} jobs waiting`);

  // Short clips arrive at RATE per second; the long lane's backlog is sampled meanwhile.
  const samples = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push({ at: Date.now(), long: await waiting('long'), short: await waiting('short') });
      await sleep(1000);
    }
  })();
  const shortStart = Date.now();
  const shortIds = [];
  const sends = [];
  for (let i = 0; i < SHORT; i++) {
    const due = shortStart + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    sends.push(sendMedia(stack.apiUrl, shortSealed, { profiles: SHORT_PROFILES, idempotencyKey: `short-${i}` }).then((s) => shortIds.push(s.id)));
  }
  await Promise.all(sends);
  log(`${SHORT} short media sent over ${((Date.now() - shortStart) / 1000).toFixed(1)} s`);
  const shortCounts = await waitFinal(stack.db, shortIds, (smoke ? 60 : 900) * 1000);
  const shortDone = Date.now();
  sampling = false;
  await sampler;
  log(`short media final: ${JSON.stringify(shortCounts)}; ${BACKLOG_END === 'ready' ? 'waiting for' : 'accounting for'} the long backlog`);
  const longCounts = BACKLOG_END === 'ready' ? await waitFinal(stack.db, longIds, (smoke ? 120 : 3600) * 1000) : await stateCounts(stack.db, longIds);
  const longUnaccounted = BACKLOG_END === 'ready' ? undefined : await unaccounted(stack.db, redis, prefix, longIds);
  log(`long media: ${JSON.stringify(longCounts)}${longUnaccounted ? `; without a live flow: ${longUnaccounted.length}` : ''}`);

  const ids = [...longIds, ...shortIds];
  const { rows } = await stack.db.query(
    `SELECT j.media_id, t.kind, t.rendition, t.lane, t.state, t.created_at,
            (SELECT min(a.started_at) FROM attempts a WHERE a.task_id = t.id) AS first_start,
            (SELECT count(*)::int FROM attempts a WHERE a.task_id = t.id) AS attempts
       FROM tasks t JOIN jobs j ON j.id = t.job_id WHERE j.media_id = ANY($1::uuid[])`,
    [ids],
  );
  const { rows: ready } = await stack.db.query(
    `SELECT m.id, m.state, (SELECT min(at) FROM events e WHERE e.media_id = m.id AND e.to_state = 'uploaded') AS uploaded,
            (SELECT min(at) FROM events e WHERE e.media_id = m.id AND e.to_state = 'ready') AS ready
       FROM media m WHERE m.id = ANY($1::uuid[])`,
    [ids],
  );
  const shortSet = new Set(shortIds);
  const waitSec = (r) => (r.first_start ? (r.first_start.getTime() - r.created_at.getTime()) / 1000 : undefined);
  const group = (filter) => {
    const w = rows.filter(filter).map(waitSec);
    return { n: w.length, p50: percentile(w, 50), p99: percentile(w, 99), max: percentile(w, 100) };
  };
  const groups = {
    shortLaneAll: group((r) => shortSet.has(r.media_id) && r.lane === 'short'),
    shortProbe: group((r) => shortSet.has(r.media_id) && r.kind === 'probe'),
    shortSegments: group((r) => shortSet.has(r.media_id) && r.kind === 'video'),
    shortAudio: group((r) => shortSet.has(r.media_id) && r.kind === 'audio'),
    thumbnails: group((r) => shortSet.has(r.media_id) && THUMBNAILS.has(r.rendition)),
    longLane: group((r) => !shortSet.has(r.media_id) && r.lane === 'long'),
  };
  const readySec = (set) => ready.filter((m) => set.has(m.id) && m.ready && m.uploaded).map((m) => (m.ready.getTime() - m.uploaded.getTime()) / 1000);
  const inWindow = samples.filter((s) => s.at <= shortDone);
  // Every short media's tasks succeeded; every long media's too, or (account) it has a live flow.
  const lost = rows.filter((r) => (shortSet.has(r.media_id) || BACKLOG_END === 'ready') && r.state !== 'succeeded').length + (longUnaccounted?.length ?? 0);
  allReady = ready.every((m) => m.state === 'ready' || (BACKLOG_END === 'account' && !shortSet.has(m.id) && !longUnaccounted.includes(m.id)));
  figures = {
    smoke,
    longMedia: LONG,
    shortMedia: SHORT,
    concurrentMediaPeak: LONG + SHORT,
    shortRatePerSec: RATE,
    probeShortLaneMaxBytes: probeShortMaxBytes,
    workers: WORKERS,
    concurrencyPerLanePerWorker: CONCURRENCY,
    backlogEnd: BACKLOG_END,
    states: { long: longCounts, short: shortCounts },
    longWithoutLiveFlow: longUnaccounted?.length,
    tasks: rows.length,
    tasksNotSucceeded: lost,
    attemptsTotal: rows.reduce((n, r) => n + r.attempts, 0),
    queueWaitSec: groups,
    shortReadySec: { p50: percentile(readySec(shortSet), 50), p99: percentile(readySec(shortSet), 99) },
    longBacklogDuringShortWindow: { min: Math.min(...inWindow.map((s) => s.long)), max: Math.max(...inWindow.map((s) => s.long)), samples: inWindow.length },
    saturated: inWindow.length > 0 && inWindow.every((s) => s.long > 0),
    target: { shortP99Sec: 2 },
    met: (groups.shortLaneAll.p99 ?? Infinity) < 2 && lost === 0 && allReady,
    wallSec: (Date.now() - benchStart) / 1000,
    machineAtStart,
  };
} finally {
  redis.disconnect();
  await extra?.stop();
  await stack.stop({ keepLogs: !allReady });
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Long media neither final nor with a live flow in Redis: the root of the ladder flow (publish,
 * per generation), the probe flow (plan) or the start job, by the orchestrator's job ids.
 */
async function unaccounted(db, redis, prefix, ids) {
  const { rows } = await db.query(
    `SELECT m.id AS media_id, m.state, j.id AS job_id, j.state AS job_state, j.generation
       FROM media m LEFT JOIN jobs j ON j.media_id = m.id AND j.state IN ('probing', 'transcoding', 'packaging')
      WHERE m.id = ANY($1::uuid[]) AND m.state NOT IN ('ready', 'failed_terminal', 'failed_retryable', 'deleted', 'expired')`,
    [ids],
  );
  const rootOf = (r) => {
    if (!r.job_id) return `start__${r.media_id}`;
    if (r.job_state === 'probing') return `plan__${r.job_id}`;
    return r.generation ? `publish__${r.job_id}__g${r.generation}` : `publish__${r.job_id}`;
  };
  const pipe = redis.pipeline();
  for (const r of rows) {
    pipe.hexists(`${prefix}:orchestrator:${rootOf(r)}`, 'name');
    pipe.zscore(`${prefix}:orchestrator:failed`, rootOf(r));
  }
  const answers = await pipe.exec();
  return rows.filter((_, i) => answers[2 * i][1] !== 1 || answers[2 * i + 1][1] !== null).map((r) => r.media_id);
}

const q = figures.queueWaitSec;
console.log(`\nlane fairness on ${machineAtStart.cpus} cores (load ${machineAtStart.loadavg.join(' ')}): ${LONG} long + ${SHORT} short media, short at ${RATE}/s, backlog end: ${BACKLOG_END}`);
printTable([
  ['queue wait (s)', 'tasks', 'p50', 'p99', 'max'],
  ...Object.entries(q).map(([k, g]) => [k, g.n, round(g.p50), round(g.p99), round(g.max)]),
]);
printTable([
  ['measure', 'value'],
  ['long-lane backlog while short clips ran (min..max jobs)', `${figures.longBacklogDuringShortWindow.min}..${figures.longBacklogDuringShortWindow.max}`],
  ['short media upload-complete -> ready p50 / p99 (s)', `${round(figures.shortReadySec.p50)} / ${round(figures.shortReadySec.p99)}`],
  ['media ready (long / short)', `${figures.states.long.ready ?? 0}/${LONG} / ${figures.states.short.ready ?? 0}/${SHORT}`],
  ['tasks not succeeded or media without a live flow (lost)', figures.tasksNotSucceeded],
  ['target: short-lane p99 < 2 s, nothing lost', figures.met ? 'met' : 'NOT met'],
]);
writeResults('fairness', figures, {
  title: 'Queue wait while the long lane is saturated (s)',
  subtitle: `${LONG} long media backlog, ${SHORT} short clips at ${RATE}/s, null encoder, ${machineAtStart.cpus} cores`,
  unit: 's',
  groups: Object.entries(q).map(([k, g]) => ({ label: k, bars: [{ label: 'p50', value: g.p50 ?? 0 }, { label: 'p99', value: g.p99 ?? 0 }] })),
});
process.exit(0);

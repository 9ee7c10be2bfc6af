#!/usr/bin/env node
// Time to first playable: upload-complete -> preview_ready (the muted 360p preview of the first
// 15 s plays) and -> ready (every rung, audio, chat files), for a 10 s and a 60 s 1080p30 clip
// with the default profiles, through an isolated stack of the five services (bench/lib/stack.mjs)
// and the CLI's sender path (bench/lib/transcode.mjs, the same code as bench/ready-latency.mjs).
// Targets: preview under 3 s for the 10 s clip, preview under 25 % of ready for the 60 s one.
// Needs Postgres, Redis and a build (`NX_DAEMON=false npx nx run-many -t build`).
//   node bench/first-playable.mjs [--smoke] [--runs 1] [--only 10] [--worker-concurrency 1] [--trace]
// --trace: the services write spans to files, and the table of where each task's time goes
// (grant exchange, source fetch, ffmpeg, packaging, uploads) is printed for preview and ladder tasks.
// --smoke: 4 s and 8 s 360p clips with preview_360p + 240p. Prints the table and where the time
// to preview goes (probe, preview encodes, publish), from the media's events and attempts in
// Postgres; writes bench/results/first-playable-<timestamp>.{json,svg}.
//
// Times: the CLI's (its long poll, from just before upload-complete) and the server's
// (Postgres event times: `uploaded` at upload-complete -> `preview_ready` / `ready`); the table
// shows the server's, the JSON both.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { testClip } from './lib/clips.mjs';
import { machine, printTable, round, writeResults } from './lib/report.mjs';
import { requireBuild, startStack, stateTimes } from './lib/stack.mjs';
import { taskSpanSummary } from './lib/task-spans.mjs';
import { transcode } from './lib/transcode.mjs';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    runs: { type: 'string', default: '1' },
    // Experiments: one clip only (its name's first number, e.g. 10), the worker's concurrency.
    only: { type: 'string' },
    'worker-concurrency': { type: 'string' },
    trace: { type: 'boolean', default: false },
  },
});
const smoke = values.smoke;
const runs = Number(values.runs);
requireBuild();
const machineAtStart = machine();
const allCases = smoke
  ? [
      { name: '4 s 360p', file: testClip({ seconds: 4, width: 640, height: 360 }), profiles: 'preview_360p,240p', previewTargetSec: 3 },
      { name: '8 s 360p', file: testClip({ seconds: 8, width: 640, height: 360 }), profiles: 'preview_360p,240p', previewTargetShare: 0.25 },
    ]
  : [
      { name: '10 s 1080p30', file: testClip({ seconds: 10 }), previewTargetSec: 3 },
      { name: '60 s 1080p30', file: testClip({ seconds: 60 }), previewTargetShare: 0.25 },
    ];
const cases = values.only ? allCases.filter((c) => c.name.startsWith(`${values.only} s`)) : allCases;
const workerEnv = values['worker-concurrency'] ? { 'gpu-worker': { CONCURRENCY: values['worker-concurrency'] } } : {};

const ms = (a, b) => (a !== undefined && b !== undefined ? (b - a) / 1000 : undefined);

/** Where the time to preview went: probe (download + decrypt + ffprobe), plan, preview tasks, publish. */
async function breakdown(db, mediaId, times) {
  const { rows } = await db.query(
    `SELECT t.rendition, t.kind, t.segment_index, a.started_at, a.finished_at, a.state
       FROM attempts a JOIN tasks t ON t.id = a.task_id JOIN jobs j ON j.id = t.job_id
      WHERE j.media_id = $1 ORDER BY a.started_at`,
    [mediaId],
  );
  const { rows: planned } = await db.query(`SELECT at FROM events WHERE media_id = $1 AND type = 'planned' ORDER BY id LIMIT 1`, [mediaId]);
  const t0 = times.uploaded;
  const probe = rows.find((r) => r.rendition === 'probe');
  const preview = rows.filter((r) => r.rendition === 'preview_360p');
  const first = Math.min(...preview.map((r) => r.started_at.getTime()));
  const last = Math.max(...preview.map((r) => r.finished_at?.getTime() ?? NaN));
  const previewTaskSec = preview.map((r) => ms(r.started_at.getTime(), r.finished_at?.getTime()));
  return {
    probeStartSec: ms(t0, probe?.started_at.getTime()),
    probeEndSec: ms(t0, probe?.finished_at?.getTime()),
    plannedSec: ms(t0, planned[0]?.at.getTime()),
    firstPreviewTaskStartSec: preview.length ? ms(t0, first) : undefined,
    lastPreviewTaskEndSec: preview.length ? ms(t0, last) : undefined,
    previewTasks: preview.length,
    previewTaskSec: previewTaskSec.map((x) => round(x)),
    previewReadySec: ms(t0, times.preview_ready),
    tasksStartedBeforeLastPreviewTask: rows.filter((r) => r.rendition !== 'preview_360p' && r.rendition !== 'probe' && r.started_at.getTime() < last).length,
    attempts: rows.length,
  };
}

const results = [];
const traceDir = values.trace ? mkdtempSync(join(tmpdir(), 'firstplay-spans-')) : undefined;
const stack = await startStack('firstplay', traceDir ? { TRACES_EXPORTER: 'file', TRACE_DIR: traceDir } : {}, workerEnv);
try {
  for (const c of cases) {
    for (let i = 0; i < runs; i++) {
      const r = await transcode(c.file, { apiUrl: stack.apiUrl, profiles: c.profiles });
      const { times, events } = await stateTimes(stack.db, r.mediaId);
      const timeline = events.map((e) => ({ atSec: round(ms(times.uploaded, e.at.getTime()), 3), type: e.type, to: e.to_state ?? undefined, reason: e.reason ?? undefined }));
      const previewSec = ms(times.uploaded, times.preview_ready);
      const earlyAt = events.find((e) => e.type === 'early_published')?.at.getTime();
      const earlySec = ms(times.uploaded, earlyAt);
      const readySec = ms(times.uploaded, times.ready);
      const b = await breakdown(stack.db, r.mediaId, times);
      results.push({ case: c.name, run: i + 1, mediaId: r.mediaId, sizeBytes: statSync(c.file).size, previewSec, earlySec, readySec, cliPreviewSec: r.previewSec, cliReadySec: r.readySec, renditions: r.renditions, breakdown: b, timeline });
      process.stderr.write(`${c.name} run ${i + 1}: preview ${previewSec?.toFixed(1)} s, early ${earlySec?.toFixed(1)} s, ready ${readySec.toFixed(1)} s\n`);
    }
  }
} catch (e) {
  await stack.stop({ keepLogs: true });
  throw e;
}
await stack.stop();

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : undefined;
};
const summary = cases.map((c) => {
  const rs = results.filter((r) => r.case === c.name);
  const previewSec = median(rs.map((r) => r.previewSec));
  const readySec = median(rs.map((r) => r.readySec));
  const earlySec = median(rs.map((r) => r.earlySec));
  const share = previewSec !== undefined ? previewSec / readySec : undefined;
  const target = c.previewTargetSec !== undefined ? `preview < ${c.previewTargetSec} s` : `preview < ${c.previewTargetShare * 100} % of ready`;
  const met = c.previewTargetSec !== undefined ? previewSec < c.previewTargetSec : share < c.previewTargetShare;
  // The breakdown of the run whose preview time is the median.
  const b = (rs.find((r) => r.previewSec === previewSec) ?? rs[0]).breakdown;
  return { case: c.name, runs: rs.length, previewSec, earlySec, readySec, previewShare: share, target, met, breakdown: b };
});

console.log(`\nfirst-playable bench${smoke ? ' (smoke)' : ''}${values['worker-concurrency'] ? `, worker concurrency ${values['worker-concurrency']}` : ''}: ${machineAtStart.cpus} cores, load average at start ${machineAtStart.loadavg.join(' ')}, now ${machine().loadavg.join(' ')}; median of ${runs} run(s)\n`);
printTable([
  ['clip', 'preview_ready s', 'early rungs s', 'ready s', 'preview / ready', 'target', 'met'],
  ...summary.map((s) => [s.case, s.previewSec?.toFixed(1) ?? 'none', s.earlySec?.toFixed(1) ?? 'none', s.readySec.toFixed(1), s.previewShare === undefined ? '' : `${(s.previewShare * 100).toFixed(0)} %`, s.target, s.met ? 'yes' : 'NO']),
]);
console.log('\nwhere the time to preview goes (s after upload-complete):');
printTable([
  ['clip', 'probe start', 'probe end', 'planned', '1st preview task', 'last preview done', 'preview_ready', 'preview tasks (s each)', 'ladder tasks started before'],
  ...summary.map(({ case: name, breakdown: b }) => [
    name,
    b.probeStartSec?.toFixed(2),
    b.probeEndSec?.toFixed(2),
    b.plannedSec?.toFixed(2),
    b.firstPreviewTaskStartSec?.toFixed(2),
    b.lastPreviewTaskEndSec?.toFixed(2),
    b.previewReadySec?.toFixed(2),
    `${b.previewTasks} (${b.previewTaskSec.join(', ')})`,
    b.tasksStartedBeforeLastPreviewTask,
  ]),
]);

const taskSteps = traceDir ? taskSpanSummary(traceDir, (profile) => (profile === 'preview_360p' ? 'preview' : profile ? 'ladder' : undefined)) : undefined;
if (taskSteps) {
  const names = [...new Set(taskSteps.flatMap((g) => Object.keys(g.steps)))];
  console.log('\nwhere a task\'s time goes (median ms per task, every run; spans from TRACES_EXPORTER=file):');
  printTable([['tasks', 'n', ...names], ...taskSteps.map((g) => [g.group, g.tasks, ...names.map((n) => g.steps[n]?.medianMs ?? 0)])]);
}

writeResults(
  'first-playable',
  { smoke, runs, workerConcurrency: values['worker-concurrency'] ?? 'default (2)', summary, results, taskSteps, machine: machineAtStart },
  {
    title: `Time to first playable (${smoke ? 'smoke' : 'default profiles'}), s after upload-complete`,
    subtitle: `${machineAtStart.cpus} cores, load ${machineAtStart.loadavg.join(' ')}; median of ${runs} run(s)`,
    unit: 's',
    groups: summary.map((s) => ({ label: s.case, bars: [{ label: 'preview_ready', value: s.previewSec ?? 0 }, { label: 'ready', value: s.readySec }] })),
  },
);

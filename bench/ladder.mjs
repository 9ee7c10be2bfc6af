#!/usr/bin/env node
// Ladder efficiency: one clip through the whole pipeline (five services as processes, the local
// store, the CLI's sender path, the H.264 rungs 240p..1080p + audio) against, on the same
// machine in the same run, (a) one ffmpeg command making the same rungs through a split filter
// and (b) one ffmpeg command per rung run one after the other (the naive worker), both with the
// pipeline's x264 settings (veryfast, high, capped VBR, closed GOP of one segment, no B-frames).
// Needs Postgres, Redis and a build (`NX_DAEMON=false npx nx run-many -t build`).
//   node bench/ladder.mjs [--smoke] [--seconds 60] [--profiles 240p,360p,480p,720p,1080p]
// --smoke: a 6 s 360p source with 240p+360p. Prints wall time and CPU-seconds of each, and the
// ratios pipeline / single command; writes bench/results/ladder-<timestamp>.{json,svg}.
//
// What is counted. Pipeline wall: upload-complete -> ready, from the media's events in Postgres.
// Pipeline CPU: utime+stime of the five service processes plus every process under them (FFmpeg,
// ffprobe, Shaka Packager: reaped ones through the parents' cutime+cstime, live ones read
// directly), sampled every 100 ms, between the samples nearest upload-complete and ready. The
// local store (s3rver) is reported apart and in "incl. storage"; the sender (CLI: sealing,
// upload, waiting) is not counted. Baselines: wall of the command, CPU from this process's
// cutime+cstime around it (nothing else of ours exits meanwhile: the stack is stopped first).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { testClip } from './lib/clips.mjs';
import { ownChildrenCpuSeconds, sampleAt, startSampler } from './lib/proc.mjs';
import { machine, printTable, round, writeResults } from './lib/report.mjs';
import { requireBuild, SERVICES, startStack, stateTimes } from './lib/stack.mjs';
import { transcode } from './lib/transcode.mjs';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    profiles: { type: 'string' },
  },
});
const smoke = values.smoke;
const seconds = Number(values.seconds ?? (smoke ? 6 : 60));
const profiles = values.profiles ?? (smoke ? '240p,360p' : '240p,360p,480p,720p,1080p');
requireBuild();
const machineAtStart = machine();
const source = smoke ? testClip({ seconds, width: 640, height: 360 }) : testClip({ seconds });

// 1. The pipeline.
const stack = await startStack('ladder');
let pipeline;
let plan;
try {
  const roots = { ...Object.fromEntries(SERVICES.map((s) => [s, stack.pids[s]])), storage: stack.pids.storage };
  // Idle cost of the stack (queue polling, watchdog, reconciler), to read the window's CPU against.
  const idleSampler = startSampler(roots, 500);
  await new Promise((r) => setTimeout(r, smoke ? 2000 : 5000));
  const idle = idleSampler.stop();
  const idleSec = (idle.at(-1).t - idle[0].t) / 1000;
  const idleCpuPerSec = SERVICES.reduce((sum, s) => sum + idle.at(-1).cpu[s] - idle[0].cpu[s], 0) / idleSec;

  const sampler = startSampler(roots, 100);
  const result = await transcode(source, { apiUrl: stack.apiUrl, profiles });
  await new Promise((r) => setTimeout(r, 300));
  const samples = sampler.stop();
  const { times } = await stateTimes(stack.db, result.mediaId);
  const uploadComplete = times.uploaded ?? times.queued;
  const from = sampleAt(samples, uploadComplete);
  const to = sampleAt(samples, times.ready);
  const cpu = Object.fromEntries(Object.keys(roots).map((k) => [k, to.cpu[k] - from.cpu[k]]));
  const own = Object.fromEntries(Object.keys(roots).map((k) => [k, to.ownCpu[k] - from.ownCpu[k]]));
  const { rows } = await stack.db.query('SELECT plan FROM jobs WHERE media_id = $1', [result.mediaId]);
  plan = rows[0].plan;
  // What the media costs in storage once published: streamed segments (init + media) and chat files.
  const stored = await stack.db.query("SELECT kind IN ('init', 'media') AS streamed, count(*)::int AS objects, sum(size_bytes)::bigint AS bytes FROM outputs WHERE media_id = $1 GROUP BY 1", [result.mediaId]);
  const storedOf = (streamed) => stored.rows.find((r) => r.streamed === streamed) ?? { objects: 0, bytes: 0 };
  const wallSec = (times.ready - uploadComplete) / 1000;
  pipeline = {
    mediaId: result.mediaId,
    wallSec,
    cliReadySec: result.readySec,
    cpuSec: SERVICES.reduce((sum, s) => sum + cpu[s], 0),
    cpuSecInclStorage: SERVICES.reduce((sum, s) => sum + cpu[s], 0) + cpu.storage,
    cpuByProcess: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v)])),
    workerChildrenCpuSec: cpu['gpu-worker'] - own['gpu-worker'],
    workerNodeCpuSec: own['gpu-worker'],
    idleCpuPerSec,
    idleShareOfWindow: (idleCpuPerSec * wallSec) / SERVICES.reduce((sum, s) => sum + cpu[s], 0),
    segments: plan.segments.length,
    renditions: plan.renditions.map((r) => `${r.name} ${r.width}x${r.height}${r.streamCopy ? ' (stream copy)' : ''}`),
    tasks: plan.segments.length * plan.renditions.length + (plan.audio ? 1 : 0),
    storedSegments: { objects: storedOf(true).objects, bytes: Number(storedOf(true).bytes) },
    storedFiles: { objects: storedOf(false).objects, bytes: Number(storedOf(false).bytes) },
  };
} catch (e) {
  await stack.stop({ keepLogs: true });
  throw e;
}
await stack.stop();

// 2. The baselines, from the plan the pipeline made (same sizes, bitrates, frame rate).
const fps = `${plan.fps.num}/${plan.fps.den}`;
const frames = plan.segments.map((s) => s.frameCount).sort((a, b) => a - b);
// The pipeline's chunks are one closed GOP each: give the baselines a GOP of one median segment.
const gop = String(frames[Math.floor(frames.length / 2)]);
const x264 = (r, threads) => [
  '-c:v', 'libx264', '-threads', threads, '-preset', 'veryfast', '-profile:v', 'high',
  '-b:v', `${r.bitrateKbps}k`, '-maxrate', `${Math.round(r.bitrateKbps * 1.07)}k`, '-bufsize', `${r.bitrateKbps * 2}k`,
  '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-bf', '0', '-x264-params', 'open-gop=0', '-flags', '+bitexact', '-fflags', '+bitexact',
];
const scale = (r) => `scale=${r.width}:${r.height}:flags=bicubic+accurate_rnd+bitexact,format=yuv420p`;
const audioOut = (dir) => ['-map', '0:a:0', '-vn', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2', '-flags', '+bitexact', join(dir, 'audio.m4a')];
const PREFIX = ['-hide_banner', '-nostdin', '-v', 'error', '-y'];

function singleCommand(dir, threads) {
  const n = plan.renditions.length;
  const graph = [`[0:v]fps=${fps},split=${n}${plan.renditions.map((_, i) => `[s${i}]`).join('')}`, ...plan.renditions.map((r, i) => `[s${i}]${scale(r)}[v${i}]`)].join(';');
  return [
    ...PREFIX,
    ...(threads === '1' ? ['-threads', '1'] : []),
    '-i', source,
    '-filter_complex', graph,
    ...plan.renditions.flatMap((r, i) => ['-map', `[v${i}]`, '-an', ...x264(r, threads), join(dir, `${r.name}.mp4`)]),
    ...(plan.audio ? audioOut(dir) : []),
  ];
}

function perRungCommands(dir, threads) {
  return [
    ...plan.renditions.map((r) => [...PREFIX, '-i', source, '-map', '0:v:0', '-an', '-vf', `fps=${fps},${scale(r)}`, ...x264(r, threads), join(dir, `${r.name}.mp4`)]),
    ...(plan.audio ? [[...PREFIX, '-i', source, ...audioOut(dir)]] : []),
  ];
}

const runFfmpeg = (args) =>
  new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err.slice(-2000)}`))));
  });

async function measure(label, commands) {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'airlock-bench-ladder-'));
  try {
    const cpuBefore = ownChildrenCpuSeconds();
    const started = performance.now();
    for (const args of commands(dir)) await runFfmpeg(args);
    const wallSec = (performance.now() - started) / 1000;
    return { label, wallSec, cpuSec: ownChildrenCpuSeconds() - cpuBefore, commands: commands(dir).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const single1 = await measure('(a) one command, split, x264 1 thread', (dir) => [singleCommand(dir, '1')]);
const singleAuto = await measure('(a2) one command, split, x264 auto threads', (dir) => [singleCommand(dir, '0')]);
const naive = await measure('(b) one command per rung, sequential', (dir) => perRungCommands(dir, '0'));

const rows = [
  ['run', 'wall s', 'CPU-s', 'wall / (a)', 'CPU / (a)'],
  ['pipeline (5 services + children)', pipeline.wallSec.toFixed(1), pipeline.cpuSec.toFixed(1), (pipeline.wallSec / single1.wallSec).toFixed(2), (pipeline.cpuSec / single1.cpuSec).toFixed(2)],
  ['pipeline incl. storage (s3rver)', '', pipeline.cpuSecInclStorage.toFixed(1), '', (pipeline.cpuSecInclStorage / single1.cpuSec).toFixed(2)],
  ...[single1, singleAuto, naive].map((b) => [b.label, b.wallSec.toFixed(1), b.cpuSec.toFixed(1), (b.wallSec / single1.wallSec).toFixed(2), (b.cpuSec / single1.cpuSec).toFixed(2)]),
];
console.log(`\nladder bench: ${seconds} s ${smoke ? '360p' : '1080p30'} source (${(statSync(source).size / 1e6).toFixed(1)} MB), rungs ${pipeline.renditions.join(', ')} + audio`);
console.log(`${pipeline.segments} segments, ${pipeline.tasks} tasks; ${machineAtStart.cpus} cores, load average at start ${machineAtStart.loadavg.join(' ')}, now ${machine().loadavg.join(' ')}\n`);
printTable(rows);
console.log(`\npipeline CPU by process (s): ${Object.entries(pipeline.cpuByProcess).map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(`  gpu-worker: ${pipeline.workerChildrenCpuSec.toFixed(1)} s in FFmpeg/ffprobe/packager children, ${pipeline.workerNodeCpuSec.toFixed(1)} s in its Node process (source download + decrypt per task, grants, upload, queue)`);
console.log(`  idle stack: ${pipeline.idleCpuPerSec.toFixed(3)} CPU-s per s (${(pipeline.idleShareOfWindow * 100).toFixed(1)} % of the window's CPU)`);
console.log(`  pipeline wall as the CLI saw it: ${pipeline.cliReadySec} s`);
console.log(`  stored: ${pipeline.storedSegments.objects} segment objects, ${(pipeline.storedSegments.bytes / 1e6).toFixed(2)} MB; ${pipeline.storedFiles.objects} chat files, ${(pipeline.storedFiles.bytes / 1e6).toFixed(2)} MB`);

writeResults(
  'ladder',
  {
    smoke,
    source: { path: source, seconds, sizeBytes: statSync(source).size },
    profiles,
    gopFrames: Number(gop),
    pipeline,
    baselines: { singleOneThread: single1, singleAutoThreads: singleAuto, perRungSequential: naive },
    ratios: {
      pipelineOverSingleWall: round(pipeline.wallSec / single1.wallSec),
      pipelineOverSingleCpu: round(pipeline.cpuSec / single1.cpuSec),
      pipelineInclStorageOverSingleCpu: round(pipeline.cpuSecInclStorage / single1.cpuSec),
      pipelineOverSingleAutoWall: round(pipeline.wallSec / singleAuto.wallSec),
      pipelineOverNaiveCpu: round(pipeline.cpuSec / naive.cpuSec),
    },
    machine: machineAtStart,
  },
  {
    title: `Ladder efficiency: ${seconds} s ${smoke ? '360p' : '1080p30'}, ${plan.renditions.map((r) => r.name).join('+')} + audio`,
    subtitle: `${machineAtStart.cpus} cores, load ${machineAtStart.loadavg.join(' ')}; pipeline CPU = 5 services + children, upload-complete to ready`,
    unit: 's',
    groups: [
      { label: 'pipeline', bars: [{ label: 'wall s', value: pipeline.wallSec }, { label: 'CPU-s', value: pipeline.cpuSec }] },
      { label: '(a) single, 1 thread', bars: [{ label: 'wall s', value: single1.wallSec }, { label: 'CPU-s', value: single1.cpuSec }] },
      { label: '(a2) single, auto threads', bars: [{ label: 'wall s', value: singleAuto.wallSec }, { label: 'CPU-s', value: singleAuto.cpuSec }] },
      { label: '(b) per rung, sequential', bars: [{ label: 'wall s', value: naive.wallSec }, { label: 'CPU-s', value: naive.cpuSec }] },
    ],
  },
);

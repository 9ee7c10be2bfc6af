#!/usr/bin/env node
// The chaos suite at scale: the real services as processes, N short clips, and while they run
// workers SIGKILLed every 4 s, the orchestrator crashed and restarted, Redis's keyspace flushed,
// every completion delivered again, a few media deleted mid-flight (e2e/src/chaos.e2e.spec.ts,
// the same code CI runs with 12 clips). Needs Postgres, Redis and a build (`npx nx run-many -t build`).
//   node bench/chaos.mjs [--media 500] [--seconds 2] [--delete 5] [--profiles 240p] [--defaults]
// --defaults runs the services with their default heartbeat, watchdog and lock settings instead of
// the suite's tightened ones (heartbeat 0.5 s, silence 3 s, locks 4 s).
// Prints completion rate, lost jobs, duplicates, recovery after each fault and p50/p95 time to
// ready, and writes them to bench/results/chaos-<timestamp>.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    media: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '2' },
    delete: { type: 'string', default: '5' },
    profiles: { type: 'string', default: '240p' },
    defaults: { type: 'boolean', default: false },
  },
});
if (!existsSync('dist/apps/orchestrator/main.js')) {
  console.error('build first: npx nx run-many -t build');
  process.exit(2);
}
mkdirSync('bench/results', { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const out = `bench/results/chaos-${stamp}.json`;
const env = {
  ...process.env,
  CHAOS_MEDIA: values.media,
  CHAOS_SECONDS: values.seconds,
  CHAOS_DELETE: values.delete,
  CHAOS_PROFILES: values.profiles,
  CHAOS_REPORT: out,
  CHAOS_DEFAULTS: values.defaults ? '1' : '0',
};
const started = Date.now();
const jest = spawnSync(process.execPath, ['node_modules/jest/bin/jest.js', '-c', 'e2e/jest.config.cts', 'e2e/src/chaos.e2e.spec.ts', '--testTimeout', String(4 * 3600 * 1000)], {
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (!existsSync(out)) {
  console.error(`the chaos run produced no figures (exit ${jest.status})`);
  process.exit(1);
}
const f = JSON.parse(readFileSync(out, 'utf8'));
const table = [
  ['media (deleted)', `${f.media} (${f.deleted})`],
  ['completion rate', `${(f.completionRate * 100).toFixed(2)} %`],
  ['lost jobs', f.lostJobs],
  ['tasks counted twice', f.duplicateCounts],
  ['task successes / attempts lost', `${f.taskSuccesses} / ${f.attemptsLost}`],
  ['flows rebuilt after the flush', f.flowsRebuilt],
  ['attempts lost to silence (watchdog)', f.heartbeatLost],
  ['  of them not on a killed worker (false)', f.staleNotKilled],
  ['webhook deliveries', f.webhooksDelivered],
  ['ready after upload-complete p50 / p95', `${f.readyP50Sec?.toFixed(1)} s / ${f.readyP95Sec?.toFixed(1)} s`],
  ['wall time', `${f.wallSec.toFixed(0)} s`],
  ['assertions (nothing lost, nothing doubled, ...)', jest.status === 0 ? 'passed' : `FAILED (exit ${jest.status})`],
];
console.log(`\nchaos bench on ${cpus().length} cores, ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
for (const [k, v] of table) console.log(`  ${k.padEnd(44)} ${v}`);
console.log(`  settings: ${f.settings}`);
const perKill = (key, what) => {
  const xs = (f.killedTasksRetriedSec ?? []).map((k) => k[key]).filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (xs.length > 0) console.log(`  ${what}: median ${xs[Math.floor(xs.length / 2)].toFixed(1)} s, max ${xs[xs.length - 1].toFixed(1)} s (${xs.length} kills)`);
};
perKill('judgedLostAfterSec', "a killed worker's attempts judged lost (jobs handed back) after");
perKill('retriedAfterSec', 'its tasks running again after (backoff, then a free worker)');
console.log('  recovery (time from the fault to the next task success anywhere):');
const kills = f.faults.filter((x) => /^SIGKILL worker/.test(x.what) && x.recoverySec !== null).map((x) => x.recoverySec).sort((a, b) => a - b);
if (kills.length > 0) {
  console.log(`    ${kills.length} worker SIGKILLs: median ${kills[Math.floor(kills.length / 2)].toFixed(1)} s, max ${kills[kills.length - 1].toFixed(1)} s`);
}
for (const x of f.faults.filter((x) => !/^SIGKILL worker/.test(x.what))) {
  console.log(`    +${x.atSec.toFixed(1).padStart(6)} s  ${x.what}${x.recoverySec === null ? '' : `: ${x.recoverySec.toFixed(1)} s`}`);
}
console.log(`figures: ${out}`);
process.exit(jest.status ?? 1);

#!/usr/bin/env node
// Time from upload-complete to preview_ready and to ready, against a running stack (`npx airlock up`), through the
// real sender path (encrypt, create, upload ciphertext) of the built CLI.
//   node bench/ready-latency.mjs [FILE] [--runs 3] [--concurrency 1] [--profiles 240p,360p]
// Prints the figures and writes them to bench/results/ready-latency-<timestamp>.json.
// For preview and ready on an isolated stack with the targets, see bench/first-playable.mjs; both
// send through bench/lib/transcode.mjs.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { transcode } from './lib/transcode.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1' },
    profiles: { type: 'string' },
  },
});
const file = positionals[0] ?? 'samples/sample-1080p.mp4';

async function once() {
  const { readySec, previewSec, renditions } = await transcode(file, { profiles: values.profiles });
  return { readySec, previewSec, renditions };
}

const runs = Number(values.runs);
const concurrency = Number(values.concurrency);
const results = [];
const started = performance.now();
for (let i = 0; i < runs; i += concurrency) {
  results.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, runs - i) }, once))));
}
const wallMs = performance.now() - started;
const percentile = (values, p) => {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const readies = results.map((r) => r.readySec);
const previews = results.map((r) => r.previewSec);
const figures = {
  bench: 'ready-latency',
  file,
  sizeBytes: statSync(file).size,
  renditions: results[0]?.renditions,
  runs,
  concurrency,
  p50PreviewSec: percentile(previews, 50),
  p95PreviewSec: percentile(previews, 95),
  p50ReadySec: percentile(readies, 50),
  p95ReadySec: percentile(readies, 95),
  minReadySec: Math.min(...readies),
  maxReadySec: Math.max(...readies),
  mediaPerMinute: +((runs / wallMs) * 60_000).toFixed(2),
  machine: { cpus: cpus().length, node: process.version, loadavg: loadavg() },
  at: new Date().toISOString(),
};
console.log(JSON.stringify(figures, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/ready-latency-${figures.at.replace(/[:.]/g, '-')}.json`, JSON.stringify({ ...figures, results }, null, 2));

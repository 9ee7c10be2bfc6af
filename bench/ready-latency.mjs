#!/usr/bin/env node
// Time from upload-complete to ready, against a running stack (`npx airlock up`).
//   node bench/ready-latency.mjs [FILE] [--runs 3] [--concurrency 1] [--profiles 240p,360p]
// Prints the figures and writes them to bench/results/ready-latency-<timestamp>.json.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1' },
    profiles: { type: 'string' },
    api: { type: 'string', default: process.env.AIRLOCK_API_URL ?? 'http://127.0.0.1:3000' },
    key: { type: 'string', default: process.env.AIRLOCK_API_KEY ?? 'airlock-dev-key' },
  },
});
const file = positionals[0] ?? 'samples/sample-1080p.mp4';
const bytes = readFileSync(file);
const sha256 = createHash('sha256').update(bytes).digest('hex');
const auth = { Authorization: `Bearer ${values.key}` };

async function call(method, path, body) {
  const res = await fetch(new URL(path, values.api), {
    method,
    headers: { ...auth, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function once() {
  const profiles = values.profiles?.split(',');
  const created = await call('POST', '/v1/media', { profiles, source: { sizeBytes: bytes.length, sha256 } });
  const put = await fetch(created.upload.url, { method: 'PUT', body: bytes, headers: created.upload.headers });
  if (!put.ok) throw new Error(`upload failed: ${put.status}`);
  const t0 = performance.now();
  await call('POST', `/v1/media/${created.id}/upload-complete`);
  for (;;) {
    const m = await call('GET', `/v1/media/${created.id}`);
    if (m.state === 'ready') return { id: created.id, readyMs: performance.now() - t0, tasks: m.progress.total };
    if (['failed_terminal', 'failed_retryable', 'deleted', 'expired'].includes(m.state)) throw new Error(`${created.id} ended ${m.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const runs = Number(values.runs);
const concurrency = Number(values.concurrency);
const results = [];
const started = performance.now();
for (let i = 0; i < runs; i += concurrency) {
  results.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, runs - i) }, once))));
}
const wallMs = performance.now() - started;
const sorted = results.map((r) => r.readyMs).sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const figures = {
  bench: 'ready-latency',
  file,
  sizeBytes: bytes.length,
  profiles: values.profiles ?? 'default ladder',
  runs,
  concurrency,
  tasksPerMedia: results[0]?.tasks,
  p50ReadySec: +(pct(50) / 1000).toFixed(2),
  p95ReadySec: +(pct(95) / 1000).toFixed(2),
  minReadySec: +(sorted[0] / 1000).toFixed(2),
  maxReadySec: +(sorted[sorted.length - 1] / 1000).toFixed(2),
  mediaPerMinute: +((runs / wallMs) * 60_000).toFixed(2),
  machine: { cpus: cpus().length, node: process.version },
  at: new Date().toISOString(),
};
console.log(JSON.stringify(figures, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/ready-latency-${figures.at.replace(/[:.]/g, '-')}.json`, JSON.stringify({ ...figures, results }, null, 2));

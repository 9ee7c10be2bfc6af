// Many media from one sealed source, for the control-plane benchmarks (control-plane, fairness,
// scale-model): the source is sealed once through the real client SDK (bench/lib/cp-seal.ts,
// run by ts-node), then each media is the real REST sequence with plain fetch: create (its own
// output key, wrapped to the recipient), PUT the ciphertext to its presigned URL, upload-complete.
// Much cheaper than a CLI process per media, so thousands can be sent from one process.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopProcesses } from './stack.mjs';

export const BENCH_API_KEY = 'airlock-dev-key';

/** Seal FILE once against the stack's pipeline key; returns { source, bytes, recipient }. */
export function sealOnce(file, apiUrl, dir, apiKey = BENCH_API_KEY) {
  const out = join(dir, `sealed-${Date.now()}`);
  const json = execFileSync(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'bench/lib/cp-seal.ts', file, out, apiUrl, apiKey], {
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_PROJECT: 'tsconfig.base.json', TS_NODE_COMPILER_OPTIONS: '{"module":"commonjs"}' },
  });
  const sealed = JSON.parse(json);
  return { source: sealed.source, recipient: sealed.recipient, bytes: readFileSync(sealed.sealedPath) };
}

/** A connection the server closed as we reused it (keep-alive race) is retried; every step here is idempotent. */
async function retrying(what, fn) {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const socket = e?.cause?.code === 'UND_ERR_SOCKET' || e?.cause?.code === 'ECONNRESET';
      if (!socket || i >= 4) throw e;
      console.error(`${what}: ${e.cause.code}, retrying`);
      await new Promise((r) => setTimeout(r, 100 * i));
    }
  }
}

async function call(apiUrl, method, path, body, apiKey, headers = {}) {
  return retrying(`${method} ${path}`, () => callOnce(apiUrl, method, path, body, apiKey, headers));
}

async function callOnce(apiUrl, method, path, body, apiKey, headers = {}) {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** create -> PUT ciphertext -> upload-complete; returns the media id and when upload-complete answered (ms). */
export async function sendMedia(apiUrl, sealed, { profiles, idempotencyKey, apiKey = BENCH_API_KEY }) {
  const created = await call(apiUrl, 'POST', '/v1/media', { profiles, recipients: [sealed.recipient], source: sealed.source }, apiKey, idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {});
  const up = await retrying(`upload ${created.id}`, () =>
    fetch(created.upload.url, { method: created.upload.method, headers: { ...created.upload.headers, 'Content-Length': String(sealed.bytes.length) }, body: sealed.bytes }),
  );
  if (!up.ok) throw new Error(`upload of ${created.id}: ${up.status}`);
  await call(apiUrl, 'POST', `/v1/media/${created.id}/upload-complete`, undefined, apiKey);
  return { id: created.id, completedAt: Date.now() };
}

/** Run fn over items with at most `limit` in flight. */
export async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

export const percentile = (values, p) => {
  const sorted = values.filter((v) => v !== undefined && v !== null && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};

/** Media states from Postgres, counted. */
export async function stateCounts(db, ids) {
  const { rows } = await db.query(`SELECT state, count(*)::int AS n FROM media WHERE id = ANY($1::uuid[]) GROUP BY state`, [ids]);
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

/**
 * Wait until every media is in a final state, the deadline passes, or nothing has moved for
 * stallMs (media left behind then count as not ready); returns the counts.
 */
export async function waitFinal(db, ids, timeoutMs, onTick, stallMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let movedAt = Date.now();
  for (;;) {
    const counts = await stateCounts(db, ids);
    onTick?.(counts);
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM attempts WHERE finished_at IS NOT NULL`);
    const progress = `${JSON.stringify(counts)}/${rows[0].n}`;
    if (progress !== last) {
      last = progress;
      movedAt = Date.now();
    }
    const done = ['ready', 'failed_terminal', 'failed_retryable', 'deleted', 'expired'].reduce((n, s) => n + (counts[s] ?? 0), 0);
    if (done >= ids.length || Date.now() > deadline) return counts;
    if (Date.now() - movedAt > stallMs) {
      console.error(`no progress for ${stallMs / 1000} s, giving up waiting: ${JSON.stringify(counts)}`);
      return counts;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * More gpu-worker processes for a stack from bench/lib/stack.mjs: the running worker's own
 * environment (read from /proc, so keys, schema, prefix and store match) with a new id, port
 * and temp root, plus `env`. Returns { pids, stop() }.
 */
export async function addWorkers(stack, count, env = {}, logDir = stack.logDir) {
  const { spawn } = await import('node:child_process');
  const { openSync, readFileSync: read } = await import('node:fs');
  const { createServer } = await import('node:net');
  const base = Object.fromEntries(
    read(`/proc/${stack.pids['gpu-worker']}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const freePort = () =>
    new Promise((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address();
        srv.close(() => resolve(port));
      });
    });
  const children = [];
  for (let i = 0; i < count; i++) {
    const id = `bench-w${i + 2}-${process.pid}`;
    const out = openSync(join(logDir, `gpu-worker-${id}.log`), 'a');
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/apps/gpu-worker/main.js'], {
      env: { ...base, ...env, WORKER_ID: id, HTTP_PORT: String(port), WORKER_TMP_ROOT: `${base.WORKER_TMP_ROOT}-${i + 2}` },
      stdio: ['ignore', out, out],
    });
    children.push({ child, port });
  }
  for (const { child, port } of children) {
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`extra worker exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error('extra worker not ready in 90 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    pids: children.map((c) => c.child.pid),
    stop: () => stopProcesses(children.map(({ child }) => child)),
  };
}

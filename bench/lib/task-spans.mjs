// Where a worker task's time goes, from the spans the services wrote with TRACES_EXPORTER=file:
// for each task (a queue job span in the gpu-worker with an ffmpeg span under it), the duration
// of each step under it (grant exchange, source fetch, ffmpeg, packaging, uploads, release),
// summarized per group of tasks as the median and the sum.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function readSpans(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : 0;
};

/** `groupOf(profile)` names a task's group (e.g. preview or ladder) from its ffmpeg span's profile, or undefined to leave it out. */
export function taskSpanSummary(dir, groupOf) {
  const spans = readSpans(dir);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map();
  for (const s of spans) if (s.parentSpanId) children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
  const groups = new Map();
  for (const ff of spans.filter((s) => s.name.startsWith('ffmpeg.'))) {
    const group = groupOf(String(ff.attributes['airlock.profile'] ?? ''));
    const task = byId.get(ff.parentSpanId);
    if (!group || !task) continue;
    const steps = { task: task.durationMs };
    for (const c of children.get(task.spanId) ?? []) steps[c.name] = (steps[c.name] ?? 0) + c.durationMs;
    groups.set(group, [...(groups.get(group) ?? []), steps]);
  }
  return [...groups].map(([group, tasks]) => {
    const names = [...new Set(tasks.flatMap((t) => Object.keys(t)))];
    return {
      group,
      tasks: tasks.length,
      steps: Object.fromEntries(names.map((n) => [n, { medianMs: Math.round(median(tasks.map((t) => t[n] ?? 0))), sumMs: Math.round(tasks.reduce((sum, t) => sum + (t[n] ?? 0), 0)) }])),
    };
  });
}

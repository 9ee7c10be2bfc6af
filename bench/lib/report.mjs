// Shared output of the benchmarks: an aligned table on stdout, the figures as JSON and a bar
// chart as SVG under bench/results/<bench>-<timestamp>.{json,svg}, with the machine and its
// load (the machine is shared: read the figures against loadavg).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { barChart } from './svg-bars.mjs';

export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memGb: +(totalmem() / 1e9).toFixed(1),
    freeGb: +(freemem() / 1e9).toFixed(1),
    node: process.version,
    loadavg: loadavg().map((x) => +x.toFixed(2)),
    cpuTicks: cpuTicks(),
  };
}

/**
 * The machine's CPU time since boot from /proc/stat (clock ticks): all of it and the part
 * stolen by the hypervisor for other guests. On a shared VM steal makes the same run slower;
 * its share over a run is printed and kept, to read the figures against.
 */
function cpuTicks() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] };
  } catch {
    return undefined;
  }
}

/** The share of the machine's CPU time stolen between two machine() readings, in %. */
export function stealPct(from, to) {
  if (!from?.cpuTicks || !to?.cpuTicks) return undefined;
  const total = to.cpuTicks.total - from.cpuTicks.total;
  return total > 0 ? +((100 * (to.cpuTicks.steal - from.cpuTicks.steal)) / total).toFixed(1) : undefined;
}

/** rows: arrays of cells; the first row is the header. */
export function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c ?? '').padEnd(widths[i]) : String(c ?? '').padStart(widths[i]))).join('  ');
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
}

/** Writes bench/results/<bench>-<stamp>.json (figures + machine at start and end) and, when given, the chart's .svg. */
export function writeResults(bench, figures, chart) {
  mkdirSync('bench/results', { recursive: true });
  const at = new Date().toISOString();
  const base = `bench/results/${bench}${figures.smoke ? '-smoke' : ''}-${at.replace(/[:.]/g, '-')}`;
  const machineAtEnd = machine();
  const steal = stealPct(figures.machineAtStart ?? figures.machine, machineAtEnd);
  writeFileSync(`${base}.json`, JSON.stringify({ bench, at, ...figures, machineAtEnd, cpuStealPct: steal }, null, 2));
  if (chart) writeFileSync(`${base}.svg`, barChart(chart));
  if (steal !== undefined) console.log(`CPU stolen by the hypervisor during the run: ${steal} % of the machine's CPU time`);
  console.log(`figures: ${base}.json${chart ? `, chart: ${base}.svg` : ''}`);
  return base;
}

export const round = (x, digits = 2) => (x === undefined || x === null || Number.isNaN(x) ? undefined : +x.toFixed(digits));

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failureKind, jobFailuresTotal, metricsRegistry, reasonCode, sanitizeLabel } from './metrics';

describe('sanitizeLabel', () => {
  it('keeps [a-z_] only, lower-cased, collapsed and trimmed', () => {
    expect(sanitizeLabel('Grant_Expired')).toBe('grant_expired');
    expect(sanitizeLabel('exit 1: ffmpeg-crashed')).toBe('exit_ffmpeg_crashed');
    expect(sanitizeLabel('__a__b__')).toBe('a_b');
  });

  it('cuts to 40 characters', () => {
    expect(sanitizeLabel('x'.repeat(100))).toHaveLength(40);
  });

  it('drops digits and hex, so ids cannot survive', () => {
    expect(sanitizeLabel('0f3c9a1e-7b2d-4c11-9a55-3e1f00a2b9c4')).toMatch(/^[a-z_]{0,40}$/);
    expect(sanitizeLabel('1234567890')).toBe('error');
  });

  it('falls back when nothing is left', () => {
    expect(sanitizeLabel('', 'none')).toBe('none');
  });
});

describe('reasonCode', () => {
  it('takes a code property first (TerminalError)', () => {
    expect(reasonCode(Object.assign(new Error('probe_failed: bad moov at 1234'), { code: 'probe_failed' }))).toBe('probe_failed');
  });

  it('takes the code: prefix of the message', () => {
    expect(reasonCode(new Error('grant_expired: media 0f3c9a1e was revoked'))).toBe('grant_expired');
  });

  it("is 'error' for anything without a code", () => {
    expect(reasonCode(new Error('ffmpeg exited with 1 after 3.2s'))).toBe('error');
    expect(reasonCode(new Error('/tmp/a b: no such file'))).toBe('error');
    expect(reasonCode(undefined)).toBe('error');
  });
});

describe('failureKind', () => {
  it('is the part before the colon', () => {
    expect(failureKind('hash_mismatch: segments/abc/240p/3-deadbeef.m4s')).toBe('hash_mismatch');
    expect(failureKind('no colon here')).toBe('error');
  });
});

describe('the registry', () => {
  it('renders a counter with bounded labels', async () => {
    jobFailuresTotal.inc({ queue: 'short', job: 'segment.transcode', reason: reasonCode(new Error('grant_expired: x')), final: 'false' });
    expect(await metricsRegistry.metrics()).toContain('airlock_job_failures_total{queue="short",job="segment.transcode",reason="grant_expired",final="false"} 1');
  });
});

describe('deploy/grafana/airlock-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(join(__dirname, '../../../../deploy/grafana/airlock-dashboard.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  const referenced = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/airlock_[a-z_]+/g) ?? [])));

  it('has panels with PromQL', () => {
    expect(dashboard.panels.length).toBeGreaterThan(5);
    expect(referenced.size).toBeGreaterThan(10);
  });

  it('references only airlock_ metrics the code defines', () => {
    const base = (name: string) => name.replace(/_(bucket|count|sum)$/, '');
    const missing = [...referenced].filter((name) => !metricsRegistry.getSingleMetric(name) && !metricsRegistry.getSingleMetric(base(name)));
    expect(missing).toEqual([]);
  });

  it('covers every airlock_ metric the code defines', () => {
    const defined = metricsRegistry.getMetricsAsArray().map((m) => m.name).filter((n) => n.startsWith('airlock_'));
    const used = [...referenced].map((n) => n.replace(/_(bucket|count|sum)$/, ''));
    expect(defined.filter((n) => !used.includes(n))).toEqual([]);
  });
});

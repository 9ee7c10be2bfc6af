import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanRecord, startTracing, traceHeaders, tracingSettingsFrom, withSpan } from './tracing';

describe('tracing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-trace-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes nested spans as JSON lines, errors by class only, and carries context in headers', async () => {
    const tracing = startTracing('unit', { exporter: 'file', dir });
    let headers: Record<string, string> = {};
    await withSpan('outer', { 'airlock.profile': '240p' }, async () => {
      headers = traceHeaders({ 'Content-Type': 'application/json' });
      await withSpan('inner', {}, async () => undefined);
      await expect(withSpan('failing', {}, async () => Promise.reject(new TypeError('bad https://host/key?X-Amz-Signature=abc')))).rejects.toThrow(TypeError);
    });
    await tracing.shutdown();

    const spans = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SpanRecord));
    const outer = spans.find((s) => s.name === 'outer');
    expect(outer).toMatchObject({ service: 'unit', status: 'ok', attributes: { 'airlock.profile': '240p' } });
    expect(spans.find((s) => s.name === 'inner')).toMatchObject({ parentSpanId: outer?.spanId, traceId: outer?.traceId });
    expect(spans.find((s) => s.name === 'failing')).toMatchObject({ status: 'error' });
    expect(JSON.stringify(spans)).not.toContain('X-Amz-Signature');
    expect(headers['traceparent']).toContain(outer?.traceId);
  });

  it('reads its settings from the environment and names what is missing', () => {
    const env = { TRACES_EXPORTER: 'otlp' as const, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingSettingsFrom(env)).toEqual({ exporter: 'otlp', endpoint: 'http://collector:4318' });
    expect(tracingSettingsFrom({ ...env, TRACES_EXPORTER: 'none' })).toEqual({ exporter: 'none' });
    expect(() => tracingSettingsFrom({ ...env, TRACES_EXPORTER: 'file' })).toThrow('TRACE_DIR');
  });
});

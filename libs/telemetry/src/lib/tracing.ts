import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Attributes, context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ReadableSpan, SimpleSpanProcessor, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * Where a service's spans go: nowhere (default), an OTLP/HTTP collector (compose: the
 * collector in front of Jaeger), or one JSON line per span in a directory (tests read it).
 */
export type TracingSettings =
  | { readonly exporter: 'none' }
  | { readonly exporter: 'otlp'; readonly endpoint: string }
  | { readonly exporter: 'file'; readonly dir: string };

export interface Tracing {
  shutdown(): Promise<void>;
}

/** The shape each span is written in by the file exporter, and read back by tests. */
export interface SpanRecord {
  readonly service: string;
  readonly name: string;
  readonly kind: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly status: 'ok' | 'error' | 'unset';
  readonly attributes: Attributes;
}

const TRACER = 'airlock';

/**
 * Start OpenTelemetry for one service. Spans are made by hand (no auto-instrumentation):
 * the API request, each queue job (bullmq-otel carries the context in job data), each
 * FFmpeg run. Attributes are names, ids, classes and buckets; never URLs, keys or content.
 */
export function startTracing(service: string, settings: TracingSettings): Tracing {
  if (settings.exporter === 'none') return { shutdown: async () => undefined };
  const processor: SpanProcessor =
    settings.exporter === 'otlp'
      ? new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${settings.endpoint.replace(/\/$/, '')}/v1/traces` }) })
      : new SimpleSpanProcessor({ exporter: new JsonlSpanExporter(service, settings.dir) });
  // No async resource detection: spans export as they end, and shutdown loses none.
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': service }),
    autoDetectResources: false,
    spanProcessors: [processor],
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** Run `fn` inside a span that records its outcome; the span is active for anything `fn` starts. */
export async function withSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  return trace.getTracer(TRACER).startActiveSpan(name, { attributes, kind }, async (span) => {
    try {
      const result = await fn();
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (e) {
      // The error's class, not its message: messages can quote paths or URLs.
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).name });
      throw e;
    } finally {
      span.end();
    }
  });
}

/** Headers plus the W3C trace context of the active span, for a call to another service. */
export function traceHeaders(headers: Record<string, string>): Record<string, string> {
  const carrier = { ...headers };
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** One JSON line per span, a file per service, so processes never interleave writes. */
class JsonlSpanExporter implements SpanExporter {
  private readonly file: string;

  constructor(
    private readonly service: string,
    dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `${service}-${process.pid}.jsonl`);
  }

  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    appendFileSync(this.file, spans.map((s) => `${JSON.stringify(this.record(s))}\n`).join(''));
    done({ code: 0 });
  }

  async shutdown(): Promise<void> {
    return undefined;
  }

  private record(s: ReadableSpan): SpanRecord {
    const ctx = s.spanContext();
    const toMs = ([sec, ns]: [number, number]) => sec * 1000 + ns / 1e6;
    return {
      service: this.service,
      name: s.name,
      kind: SpanKind[s.kind],
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      parentSpanId: s.parentSpanContext?.spanId,
      startMs: toMs(s.startTime),
      durationMs: toMs(s.duration),
      status: s.status.code === SpanStatusCode.OK ? 'ok' : s.status.code === SpanStatusCode.ERROR ? 'error' : 'unset',
      attributes: s.attributes,
    };
  }
}

/** The tracing part of a service's validated environment (see @airlock/config). */
export interface TracingEnv {
  readonly TRACES_EXPORTER: 'none' | 'otlp' | 'file';
  readonly OTEL_EXPORTER_OTLP_ENDPOINT: string;
  readonly TRACE_DIR?: string;
}

export function tracingSettingsFrom(env: TracingEnv): TracingSettings {
  switch (env.TRACES_EXPORTER) {
    case 'none':
      return { exporter: 'none' };
    case 'otlp':
      return { exporter: 'otlp', endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT };
    case 'file':
      if (!env.TRACE_DIR) throw new Error('TRACES_EXPORTER=file needs TRACE_DIR');
      return { exporter: 'file', dir: env.TRACE_DIR };
  }
}

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One Prometheus registry per process, scraped at `GET /metrics`. Label values are bounded
 * by construction: lanes/queue names, job names, profile names, duration classes, worker
 * classes and reason codes. Never media, job or attempt ids, keys, URLs or content.
 */
export const metricsRegistry = new Registry();

let defaultsOn = false;

/** Process metrics (CPU, memory, event loop, GC) labelled with the service; once per process. */
export function enableProcessMetrics(service: string): void {
  if (defaultsOn) return;
  defaultsOn = true;
  metricsRegistry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: metricsRegistry });
}

/** The text exposition of every metric in the registry. */
export function renderMetrics(): Promise<string> {
  return metricsRegistry.metrics();
}

const REASON_MAX = 40;

/** A label value reduced to [a-z_], at most 40 chars: a reason code can never smuggle an id or content in. */
export function sanitizeLabel(value: string, fallback = 'error'): string {
  const cleaned = value
    .toLowerCase()
    .replace(/[^a-z_]+/g, '_')
    .replace(/_+/g, '_')
    .slice(0, REASON_MAX)
    .replace(/^_+|_+$/g, '');
  return cleaned || fallback;
}

/** An error's reason code: its `code` (TerminalError) or the `code:` prefix of its message, else 'error'. */
export function reasonCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code) return sanitizeLabel(code);
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  const prefix = /^([A-Za-z][A-Za-z_]*):/.exec(message)?.[1];
  return prefix ? sanitizeLabel(prefix) : 'error';
}

/** The failure kind before the colon (`sha256_mismatch: seg/...` -> `sha256_mismatch`). */
export function failureKind(failure: string): string {
  const colon = failure.indexOf(':');
  return colon > 0 ? sanitizeLabel(failure.slice(0, colon)) : 'error';
}

const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export const queueWaitSeconds = new Histogram({
  name: 'airlock_queue_wait_seconds',
  help: 'Time a job waited from being added until a worker started it.',
  labelNames: ['queue', 'job'] as const,
  buckets: WAIT_BUCKETS,
  registers: [metricsRegistry],
});

export const jobDurationSeconds = new Histogram({
  name: 'airlock_job_duration_seconds',
  help: 'Time a handler ran, by outcome (completed/failed, released: handed back at shutdown).',
  labelNames: ['queue', 'job', 'outcome'] as const,
  buckets: RUN_BUCKETS,
  registers: [metricsRegistry],
});

export const jobFailuresTotal = new Counter({
  name: 'airlock_job_failures_total',
  help: 'Job attempts that failed, by reason code; final=true when no retry follows.',
  labelNames: ['queue', 'job', 'reason', 'final'] as const,
  registers: [metricsRegistry],
});

export const jobRetriesTotal = new Counter({
  name: 'airlock_job_retries_total',
  help: 'Job attempts started after a failed one (attempt > 1).',
  labelNames: ['queue', 'job'] as const,
  registers: [metricsRegistry],
});

export const ffmpegSeconds = new Histogram({
  name: 'airlock_ffmpeg_seconds',
  help: 'Wall-clock seconds of one FFmpeg run (including encoder fallbacks).',
  labelNames: ['profile', 'duration_class', 'worker_class'] as const,
  buckets: RUN_BUCKETS,
  registers: [metricsRegistry],
});

export const processedMediaSecondsTotal = new Counter({
  name: 'airlock_processed_media_seconds_total',
  help: 'Seconds of media (segment or file duration) rendered by successful FFmpeg runs.',
  labelNames: ['profile', 'worker_class'] as const,
  registers: [metricsRegistry],
});

export const ffmpegCpuSecondsTotal = new Counter({
  name: 'airlock_ffmpeg_cpu_seconds_total',
  help: 'CPU seconds (user+system) of reaped FFmpeg children, from /proc/self/stat cutime+cstime.',
  labelNames: ['profile', 'worker_class'] as const,
  registers: [metricsRegistry],
});

export const verificationFailuresTotal = new Counter({
  name: 'airlock_verification_failures_total',
  help: 'Failed verification checks, by failure kind.',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

/** Which workers produce refused output (a worker id is fleet metadata, never content). */
export const verificationFailuresByWorkerTotal = new Counter({
  name: 'airlock_verification_failures_by_worker_total',
  help: 'Failed verification checks blamed on one worker attempt, by worker and failure kind.',
  labelNames: ['worker', 'reason'] as const,
  registers: [metricsRegistry],
});

/**
 * Grant exchanges refused, by reason code (`token_bad_signature`, `token_replayed`, ...). A
 * refusal before the job token's signature verified is counted only here: its claims name
 * nothing trustworthy, so it writes nothing to any media's timeline.
 */
export const grantRefusalsTotal = new Counter({
  name: 'airlock_grant_refusals_total',
  help: 'Grant exchanges and grant calls refused, by reason code.',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

/** Requests the api answered 429, by the limit they were over (tenant, address, worker). */
export const rateLimitedTotal = new Counter({
  name: 'airlock_rate_limited_total',
  help: 'Requests refused with 429 by the api rate limits, by scope.',
  labelNames: ['scope'] as const,
  registers: [metricsRegistry],
});

/** Requests let through unlimited because Redis did not answer the limiter in time. */
export const rateLimitUncheckedTotal = new Counter({
  name: 'airlock_rate_limit_unchecked_total',
  help: 'Requests let through without a rate-limit check because Redis did not answer in time.',
  registers: [metricsRegistry],
});

export const outputInputSizeRatio = new Histogram({
  name: 'airlock_output_input_size_ratio',
  help: 'Bytes of all published outputs divided by the source size, per published media.',
  buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
  registers: [metricsRegistry],
});

/**
 * A gauge whose value is read when Prometheus scrapes. The source is attached by the one
 * service that can answer it; elsewhere the gauge stays empty. A failing source leaves the
 * last values (a scrape never fails because Redis or Postgres hiccuped).
 */
export class ScrapedGauge<L extends string = string> {
  readonly gauge: Gauge<L>;
  private source?: (gauge: Gauge<L>) => Promise<void>;

  constructor(name: string, help: string, labelNames: readonly L[] = []) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.gauge = new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [metricsRegistry],
      async collect() {
        await self.source?.(self.gauge).catch(() => undefined);
      },
    });
  }

  from(source: (gauge: Gauge<L>) => Promise<void>): void {
    this.source = source;
  }
}

export const queueWaitingJobs = new ScrapedGauge('airlock_queue_waiting_jobs', 'Jobs waiting (or prioritized) in each queue.', ['queue'] as const);
export const oldestWaitingJobAgeSeconds = new ScrapedGauge('airlock_oldest_waiting_job_age_seconds', 'Age of the oldest waiting job in each queue (0 when empty).', ['queue'] as const);
export const deadLetterDepth = new ScrapedGauge('airlock_dead_letter_depth', 'Entries in the dead-letter queue.');
export const activeGrants = new ScrapedGauge('airlock_active_grants', 'Grants neither revoked nor expired.');

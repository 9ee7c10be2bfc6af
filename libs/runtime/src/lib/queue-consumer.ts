import { Module } from '@nestjs/common';
import { HandlerMap, QueueConnection, QueueName, ServiceName, WorkerHost } from '@airlock/queue';
import { Logger, TracingEnv, tracingSettingsFrom } from '@airlock/telemetry';
import { bootstrapService } from './bootstrap';

export interface ConsumerConfig extends TracingEnv {
  readonly HTTP_HOST: string;
  readonly HTTP_PORT: number;
  readonly LOG_LEVEL: string;
  readonly CONCURRENCY: number;
  readonly QUEUE_LOCK_MS?: number;
  /** Running jobs get this long to finish at shutdown before they are aborted and handed back. */
  readonly SHUTDOWN_GRACE_SEC: number;
}

export interface ConsumerOptions<S extends ServiceName> {
  readonly service: S;
  readonly config: ConsumerConfig;
  readonly connection: QueueConnection;
  readonly queues: readonly QueueName[];
  readonly handlers: HandlerMap<S>;
  /** Dependency checks besides Redis (which is always checked). */
  readonly checks?: () => Promise<Record<string, boolean>>;
  /** Extra shutdown work after the queues stopped (e.g. wiping temp dirs). */
  readonly drain?: () => Promise<void>;
}

@Module({})
class ConsumerModule {}

/**
 * The shape every queue-consuming service shares: health/readiness over HTTP, the handlers
 * bound to their queues, and a shutdown that stops taking jobs before it closes connections.
 */
export async function runQueueConsumer<S extends ServiceName>(opts: ConsumerOptions<S>): Promise<Logger> {
  // Created once the logger exists; the drain may run before (a signal during boot).
  const started: { host?: WorkerHost } = {};
  const { logger } = await bootstrapService({
    service: opts.service,
    module: ConsumerModule,
    host: opts.config.HTTP_HOST,
    port: opts.config.HTTP_PORT,
    logLevel: opts.config.LOG_LEVEL,
    tracing: tracingSettingsFrom(opts.config),
    checks: async () => ({ redis: await opts.connection.ping(), ...(await opts.checks?.()) }),
    drain: async () => {
      await started.host?.close(opts.config.SHUTDOWN_GRACE_SEC * 1000);
      await opts.drain?.();
      await opts.connection.close();
    },
  });
  const host = new WorkerHost(opts.connection, logger);
  started.host = host;
  host.start(opts.service, opts.queues, opts.handlers, { concurrency: opts.config.CONCURRENCY, lockDurationMs: opts.config.QUEUE_LOCK_MS });
  return logger;
}

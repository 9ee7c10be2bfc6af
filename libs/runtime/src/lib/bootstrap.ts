import 'reflect-metadata';
import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, enableProcessMetrics, HealthController, Logger, MetricsController, NestPinoLogger, READINESS, Readiness, startTracing, TracingSettings } from '@airlock/telemetry';

export interface ServiceHandle {
  readonly app: INestApplication;
  readonly logger: Logger;
}

export interface BootstrapOptions {
  readonly service: string;
  readonly module: Type<unknown> | DynamicModule;
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  readonly tracing: TracingSettings;
  /** Called on SIGTERM/SIGINT after readiness turns false: stop taking work, finish or release. */
  readonly drain?: () => Promise<void>;
  readonly checks: () => Promise<Record<string, boolean>>;
  readonly configure?: (app: INestApplication) => void | Promise<void>;
}

/**
 * Connections the kernel holds for a service before it accepts them (Node's default is 511). When
 * hundreds of workers start attempts at once, each opens its own connections to the api; past the
 * queue, connections are dropped and retried by the client after 1, 3, 7 s, and fail at its 10 s
 * connect timeout (seen at 600 workers: UND_ERR_CONNECT_TIMEOUT). The kernel caps it at
 * net.core.somaxconn (4096 here).
 */
const LISTEN_BACKLOG = 4096;

/** Shared shape of every service: JSON logs, health/readiness, Prometheus /metrics, graceful shutdown. */
export async function bootstrapService(options: BootstrapOptions): Promise<ServiceHandle> {
  const logger = createLogger(options.service, options.logLevel);
  const tracing = startTracing(options.service, options.tracing);
  enableProcessMetrics(options.service);
  let accepting = true;
  const readiness: Readiness = { checks: options.checks, accepting: () => accepting };

  const app = await NestFactory.create(healthModule(options.module, readiness), {
    logger: new NestPinoLogger(logger),
    bodyParser: false,
  });
  await options.configure?.(app);
  // Nest passes extra arguments on to http.Server#listen(port, host, backlog).
  const listen = app.listen.bind(app) as unknown as (port: number, host: string, backlog: number) => Promise<unknown>;
  await listen(options.port, options.host, LISTEN_BACKLOG);
  const address = app.getHttpServer().address() as { port: number } | null;
  logger.info({ port: address?.port }, `${options.service} listening`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    accepting = false;
    logger.info({ signal }, 'shutting down: readiness false, draining');
    try {
      await options.drain?.();
      await app.close();
      await tracing.shutdown();
    } catch (e) {
      logger.error({ err: (e as Error).message }, 'shutdown error');
    } finally {
      logger.flush?.();
      process.exit(0);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  return { app, logger };
}

function healthModule(inner: Type<unknown> | DynamicModule, readiness: Readiness): DynamicModule {
  class ServiceRootModule {}
  return {
    module: ServiceRootModule,
    imports: [inner],
    controllers: [HealthController, MetricsController],
    providers: [{ provide: READINESS, useValue: readiness }],
  };
}

/** Print a boot failure (bad config, unreachable dependency) clearly and exit non-zero. */
export function failBoot(service: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${service} failed to start: ${message}\n`);
  process.exit(1);
}

import pino from 'pino';
import type { LoggerService } from '@nestjs/common';
import { scrub, scrubValue } from './scrub';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout; every string argument is scrubbed of URLs' query strings and tokens. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((a) => (typeof a === 'string' ? scrub(a) : scrubValue(a))) as Parameters<typeof method>;
        method.apply(this, cleaned);
      },
    },
  });
}

/** Nest's logger interface over pino, so framework messages share the format. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}

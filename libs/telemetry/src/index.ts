export * from './lib/scrub';
export * from './lib/logger';
export * from './lib/health.controller';
export * from './lib/tracing';
export * from './lib/metrics';
export * from './lib/metrics.controller';

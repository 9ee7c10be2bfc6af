export * from './lib/scrub';
export * from './lib/logger';
export * from './lib/health.controller';
export * from './lib/tracing';

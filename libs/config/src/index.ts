export * from './lib/env.loader';
export * from './lib/service.config';

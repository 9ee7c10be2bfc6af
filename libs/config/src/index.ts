export * from './lib/env.loader';
export * from './lib/service.config';
export * from './lib/tenant-policies';

export * from './lib/edge-protection.config';
export * from './lib/env.loader';
export * from './lib/service.config';
export * from './lib/production-secrets';
export * from './lib/tenant-policies';

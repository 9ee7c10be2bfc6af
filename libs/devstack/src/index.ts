export * from './lib/workspace';
export * from './lib/exec';
export * from './lib/postgres';
export * from './lib/redis';
export * from './lib/s3';
export * from './lib/services';
export * from './lib/local-keys';
export * from './lib/deployment-secrets';

export * from './lib/airlock-client';

export * from './lib/airlock-client';
export * from './lib/sender';
export * from './lib/recipient';

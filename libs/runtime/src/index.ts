export * from './lib/runtime';

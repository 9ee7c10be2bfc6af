export * from './lib/queue-names';
export * from './lib/job-options';
export * from './lib/errors';
export * from './lib/flow';
export * from './lib/connection';
export * from './lib/worker-host';

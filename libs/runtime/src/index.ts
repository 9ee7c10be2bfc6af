export * from './lib/bootstrap';
export * from './lib/queue-consumer';

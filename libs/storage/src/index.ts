export * from './lib/object-store';
export * from './lib/s3rver.launcher';

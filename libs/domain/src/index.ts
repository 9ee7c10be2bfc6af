export * from './lib/media-state';
export * from './lib/job-state';
export * from './lib/failure-codes';
export * from './lib/profiles';
export * from './lib/ladder';
export * from './lib/segment-plan';
export * from './lib/lanes';
export * from './lib/storage-keys';

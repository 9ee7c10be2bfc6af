export * from './lib/object-store';
export * from './lib/s3rver.launcher';
export * from './lib/sigv4-verifier';
export * from './lib/presigned-put';
export * from './lib/object-key';
export * from './lib/bound-put';

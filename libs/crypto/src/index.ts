export * from './lib/chunked-cipher';
export * from './lib/key-wrap';
export * from './lib/job-token';
export * from './lib/blob-key';
export * from './lib/verifier-token';
export * from './lib/x25519-public-key';
export * from './lib/segment-cipher';

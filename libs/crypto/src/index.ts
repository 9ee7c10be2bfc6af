export * from './lib/chunked-cipher';
export * from './lib/key-wrap';

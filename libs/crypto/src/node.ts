// Node-only entry point: the main index stays WebCrypto-only so it also runs in browsers.
export * from './lib/webhook-signature';
export * from './lib/report-signature';

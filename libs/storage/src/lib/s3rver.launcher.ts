import { mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { makeWritesWhole, S3rverFilesystemStore } from './s3rver-whole-writes';
import { storeAccessGate } from './store-access-gate';

export interface LocalS3 {
  readonly endpoint: string;
  close(): Promise<void>;
}

export interface LocalS3Options {
  readonly directory: string;
  readonly buckets: string[];
  readonly port?: number;
  readonly host?: string;
  /** Key prefixes anyone may GET without a signature (ciphertext outputs served to players). */
  readonly publicReadPrefixes?: readonly string[];
}

/** s3rver's one built-in account: the access key the local store knows, and its secret. */
export const LOCAL_S3_CREDENTIALS = { accessKey: 'S3RVER', secretKey: 'S3RVER' } as const;

/** CORS for browsers: recipients' players fetch segments and senders PUT to presigned URLs. */
const CORS_XML = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/**
 * Start s3rver (pure-JS S3) in this process, for local runs and tests. s3rver checks no
 * SigV4 signatures at all, so the store access gate goes in front of it: signed requests must
 * verify, and unsigned ones may only read the public prefixes, as a private bucket with a
 * public-read policy on published outputs would behave on S3 or MinIO.
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const S3rver = require('s3rver');
  const server = new S3rver({
    port: options.port ?? 0,
    address: options.host ?? '127.0.0.1',
    silent: true,
    // Path-style only: with virtual hosts on, any Host header would rewrite the path s3rver serves behind the gate's back.
    vhostBuckets: false,
    directory: options.directory,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [CORS_XML] })),
  });
  makeWritesWhole(server.store as S3rverFilesystemStore);
  const { accessKey, secretKey } = LOCAL_S3_CREDENTIALS;
  server.middleware.unshift(storeAccessGate({ secretFor: (key) => (key === accessKey ? secretKey : undefined), publicReadPrefixes: options.publicReadPrefixes ?? [] }));
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    close: () => server.close() as Promise<void>,
  };
}

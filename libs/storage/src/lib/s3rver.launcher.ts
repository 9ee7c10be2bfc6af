import { mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';

export interface LocalS3 {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** CORS for browsers: recipients' players fetch segments and senders PUT to presigned URLs. */
const CORS_XML = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/** Start s3rver (pure-JS S3) in this process: local runs and tests. */
export async function startLocalS3(options: { directory: string; port?: number; host?: string; buckets: string[] }): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const S3rver = require('s3rver');
  const server = new S3rver({
    port: options.port ?? 0,
    address: options.host ?? '127.0.0.1',
    silent: true,
    directory: options.directory,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [CORS_XML] })),
  });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    close: () => server.close() as Promise<void>,
  };
}

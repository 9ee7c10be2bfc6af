import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { deriveBlobKey, encryptChunks } from '@airlock/crypto';

/**
 * Seal a chat file for recipients: chunked AES-256-GCM under the key derived from the media's
 * output key (deriveBlobKey), streamed from the plaintext file in the attempt directory.
 */
export async function sealBlob(plainPath: string, sealedPath: string, outputKey: Uint8Array): Promise<void> {
  const key = await deriveBlobKey(outputKey);
  try {
    await pipeline(Readable.from(encryptChunks(key, createReadStream(plainPath))), createWriteStream(sealedPath, { flags: 'wx', mode: 0o600 }));
  } finally {
    key.fill(0);
  }
}

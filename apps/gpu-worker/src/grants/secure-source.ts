import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CipherFormatError, decryptChunks } from '@airlock/crypto';
import { withSpan } from '@airlock/telemetry';
import { AttemptGrant } from './grant-client';

export class SourceRejected extends Error {
  constructor(
    readonly code: 'source_mismatch' | 'source_undecryptable',
    message: string,
  ) {
    super(message);
  }
}

async function* hashing(source: AsyncIterable<Uint8Array>, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}

/**
 * Download the encrypted source through the grant's presigned GET and decrypt it, in one
 * streaming pass, into the attempt's private directory. Ciphertext never touches the disk; the
 * plaintext is removed again if the bytes are not the ones the sender declared.
 */
export function fetchDecryptedSource(grant: AttemptGrant, path: string): Promise<void> {
  return withSpan('source.fetch', {}, () => fetchAndDecrypt(grant, path));
}

async function fetchAndDecrypt(grant: AttemptGrant, path: string): Promise<void> {
  const res = await fetch(grant.source.url);
  if (!res.ok || !res.body) throw new Error(`source download failed with ${res.status}`);
  const hash = createHash('sha256');
  const ciphertext = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
  try {
    await pipeline(Readable.from(decryptChunks(grant.contentKey, hashing(ciphertext, hash))), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (e) {
    await rm(path, { force: true });
    if (e instanceof CipherFormatError) throw new SourceRejected('source_undecryptable', 'The source cannot be decrypted with its content key.');
    throw e;
  }
  if (hash.digest('hex') !== grant.source.sha256) {
    await rm(path, { force: true });
    throw new SourceRejected('source_mismatch', 'The uploaded bytes do not match the declared sha256.');
  }
}

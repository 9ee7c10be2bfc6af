import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { chunkRunsFor, ChunkSizeError, CipherFormatError, decryptChunkRun, decryptChunks, HEADER_BYTES, sealedChunkOffset, sealedLayout } from '@airlock/crypto';
import { withSpan } from '@airlock/telemetry';
import { AttemptGrant } from './grant-client';
import { SealedHeaders } from './sealed-headers';

export class SourceRejected extends Error {
  constructor(
    readonly code: 'source_mismatch' | 'source_undecryptable' | 'source_chunk_size_invalid',
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
 *
 * With `ranges` (the plaintext bytes a segment needs, from the probe's byte map), only the
 * sealed chunks holding them are fetched (HTTP ranges) and decrypted, each written where it
 * belongs in a sparse file of the source's size. The whole-file sha256 was checked by the
 * probe; each chunk read here is authenticated (AES-GCM under the content key, bound to its
 * index, the stream's header and whether it is the last), so it can only be the sender's.
 * The header is read once per source on this worker (SealedHeaders).
 */
export function fetchDecryptedSource(grant: AttemptGrant, path: string, ranges?: readonly (readonly [number, number])[]): Promise<void> {
  return withSpan('source.fetch', { 'airlock.ranged': ranges !== undefined }, () => (ranges ? fetchRanges(grant, path, ranges) : fetchAndDecrypt(grant, path)));
}

const sealedHeaders = new SealedHeaders();

async function fetchRanges(grant: AttemptGrant, path: string, ranges: readonly (readonly [number, number])[]): Promise<void> {
  const head = await sealedHeaders.get(grant.source, async () => {
    const { res, total } = await getRange(grant, 0, HEADER_BYTES - 1);
    return { header: new Uint8Array(await res.arrayBuffer()), total };
  });
  const header = head.header;
  const file = await open(path, 'wx', 0o600);
  try {
    const { chunkSize, chunks, plaintextBytes } = sealedLayout(header, head.total);
    await file.truncate(plaintextBytes);
    for (const [first, last] of chunkRunsFor(ranges, chunkSize, chunks)) {
      const end = Math.min(head.total, sealedChunkOffset(chunkSize, last + 1)) - 1;
      const { res } = await getRange(grant, sealedChunkOffset(chunkSize, first), end);
      const sealed = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
      let next = first;
      for await (const { index, plaintext } of decryptChunkRun(grant.contentKey, header, first, chunks - 1, sealed)) {
        await file.write(plaintext, 0, plaintext.length, index * chunkSize);
        next = index + 1;
      }
      if (next !== last + 1) throw new CipherFormatError(`truncated: chunks ${next}-${last} missing from the range`);
    }
  } catch (e) {
    await file.close();
    await rm(path, { force: true });
    throw rejection(e);
  }
  await file.close();
}

/** One HTTP range of the sealed source, and the source's total size (from Content-Range). */
async function getRange(grant: AttemptGrant, start: number, end: number): Promise<{ res: Response; total: number }> {
  const res = await fetch(grant.source.url, { headers: { Range: `bytes=${start}-${end}` }, signal: untilExpiry(grant) });
  const total = Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1]);
  if (res.status !== 206 || !res.body || !Number.isFinite(total)) throw new Error(`source range download failed with ${res.status}`);
  return { res, total };
}

async function fetchAndDecrypt(grant: AttemptGrant, path: string): Promise<void> {
  const res = await fetch(grant.source.url, { signal: untilExpiry(grant) });
  if (!res.ok || !res.body) throw new Error(`source download failed with ${res.status}`);
  const hash = createHash('sha256');
  const ciphertext = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
  try {
    await pipeline(Readable.from(decryptChunks(grant.contentKey, hashing(ciphertext, hash))), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (e) {
    await rm(path, { force: true });
    throw rejection(e);
  }
  if (hash.digest('hex') !== grant.source.sha256) {
    await rm(path, { force: true });
    throw new SourceRejected('source_mismatch', 'The uploaded bytes do not match the declared sha256.');
  }
}

/**
 * A sealed stream the content key cannot open is the sender's fault, for good: a chunk size over
 * the bound (refused from the header, before a chunk is buffered) or chunks that fail to decrypt.
 */
function rejection(e: unknown): unknown {
  if (e instanceof ChunkSizeError) return new SourceRejected('source_chunk_size_invalid', `The source's header declares a chunk size outside what workers open (${e.message}).`);
  if (e instanceof CipherFormatError) return new SourceRejected('source_undecryptable', 'The source cannot be decrypted with its content key.');
  return e;
}

/** A read of the source may last as long as the grant that allows it (a stalled store fails the attempt, which is retried). */
function untilExpiry(grant: AttemptGrant): AbortSignal {
  return AbortSignal.timeout(Math.max(1000, grant.expiresAt.getTime() - Date.now()));
}

import type { JWK } from 'jose';
import { assertChunkSize, DEFAULT_CHUNK_BYTES, encryptChunks, generateContentKey, wrapKey } from '@airlock/crypto';

export interface SealedSource {
  /** The content key wrapped to the pipeline key: the only form in which it leaves the sender. */
  readonly contentKeyJwe: string;
  /** Ciphertext in the chunked AES-256-GCM format; consume once. */
  readonly ciphertext: AsyncGenerator<Uint8Array>;
}

/**
 * The sender's side: a random content key per media, the source encrypted in bounded memory,
 * and the key wrapped to the pipeline's public key. Plaintext and the raw key never leave here.
 * A chunk size outside 1..MAX_CHUNK_BYTES throws here (ChunkSizeError): workers refuse such a source.
 */
export async function sealSource(plaintext: AsyncIterable<Uint8Array>, pipelinePublicJwk: JWK, chunkBytes = DEFAULT_CHUNK_BYTES): Promise<SealedSource> {
  assertChunkSize(chunkBytes);
  const key = await generateContentKey();
  const contentKeyJwe = await wrapKey(key, pipelinePublicJwk);
  async function* sealed(): AsyncGenerator<Uint8Array> {
    try {
      yield* encryptChunks(key, plaintext, chunkBytes);
    } finally {
      key.fill(0);
    }
  }
  return { contentKeyJwe, ciphertext: sealed() };
}

import { ChunkSizeError, decryptChunks, generateX25519KeyPair, MAX_CHUNK_BYTES, unwrapKey } from '@airlock/crypto';
import { sealSource } from './sender';

async function* once(b: Uint8Array) {
  yield b;
}

describe('sender and recipient helpers', () => {
  it('seals a source so only the pipeline key holder can open it', async () => {
    const pipeline = await generateX25519KeyPair('pipeline');
    const plain = new TextEncoder().encode('a short video, pretend');
    const { contentKeyJwe, ciphertext } = await sealSource(once(plain), pipeline.publicJwk, 8);
    const parts: Uint8Array[] = [];
    for await (const c of ciphertext) parts.push(c);
    const key = await unwrapKey(contentKeyJwe, pipeline.privateJwk);
    const opened: Uint8Array[] = [];
    for await (const c of decryptChunks(key, once(Buffer.concat(parts)))) opened.push(c);
    expect(Buffer.concat(opened).toString()).toBe('a short video, pretend');
  });

  it('refuses to seal with a chunk size workers would refuse to open', async () => {
    const pipeline = await generateX25519KeyPair('pipeline');
    await expect(sealSource(once(new Uint8Array(10)), pipeline.publicJwk, MAX_CHUNK_BYTES + 1)).rejects.toBeInstanceOf(ChunkSizeError);
    await expect(sealSource(once(new Uint8Array(10)), pipeline.publicJwk, 0)).rejects.toBeInstanceOf(ChunkSizeError);
  });
});

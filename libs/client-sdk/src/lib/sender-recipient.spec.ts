import { ChunkSizeError, decryptChunks, generateX25519KeyPair, MAX_CHUNK_BYTES, unwrapKey, wrapKey } from '@airlock/crypto';
import { clearKeysFor } from './recipient';
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

  it('turns the recipient wrapped output key into a ClearKey map, and only for that recipient', async () => {
    const alice = await generateX25519KeyPair('alice');
    const outputKey = new Uint8Array(16).fill(0xab);
    const media = { keyId: '01'.repeat(16), keys: [{ recipientId: 'alice', jwe: await wrapKey(outputKey, alice.publicJwk) }] };
    expect(await clearKeysFor(media, 'alice', alice.privateJwk)).toEqual({ ['01'.repeat(16)]: 'ab'.repeat(16) });
    await expect(clearKeysFor(media, 'bob', alice.privateJwk)).rejects.toThrow(/no key for recipient bob/);
  });
});

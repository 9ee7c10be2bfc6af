import { deriveBlobKey } from './blob-key';
import { decryptChunks, encryptChunks } from './chunked-cipher';

async function* once(bytes: Uint8Array) {
  yield bytes;
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describe('deriveBlobKey', () => {
  it('derives the same 32-byte key from the same output key, and a different one from another', async () => {
    const a = await deriveBlobKey(new Uint8Array(16).fill(1));
    expect(a).toHaveLength(32);
    expect(Buffer.from(await deriveBlobKey(new Uint8Array(16).fill(1)))).toEqual(Buffer.from(a));
    expect(Buffer.from(await deriveBlobKey(new Uint8Array(16).fill(2)))).not.toEqual(Buffer.from(a));
    await expect(deriveBlobKey(new Uint8Array(32))).rejects.toThrow(/16 bytes/);
  });

  it('seals a file that only the derived key opens', async () => {
    const key = await deriveBlobKey(new Uint8Array(16).fill(7));
    const sealed = await collect(encryptChunks(key, once(Buffer.from('a poster frame'))));
    expect((await collect(decryptChunks(key, once(sealed)))).toString()).toBe('a poster frame');
    await expect(collect(decryptChunks(await deriveBlobKey(new Uint8Array(16).fill(8)), once(sealed)))).rejects.toThrow();
  });
});

import { randomBytes } from 'node:crypto';
import { CipherFormatError, decryptChunks, encryptChunks, encryptedSize, generateContentKey, HEADER_BYTES } from './chunked-cipher';

async function* pieces(buf: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return Buffer.concat(parts);
}

const seal = async (key: Uint8Array, plain: Uint8Array, chunk = 1000) => collect(encryptChunks(key, pieces(plain, 333), chunk));
const open = async (key: Uint8Array, sealed: Uint8Array, piece = 777) => collect(decryptChunks(key, pieces(sealed, piece)));

describe('chunked AES-256-GCM', () => {
  it.each([0, 1, 999, 1000, 1001, 5000, 12_345])('round-trips %i bytes whatever the piece sizes', async (n) => {
    const key = await generateContentKey();
    const plain = randomBytes(n);
    const sealed = await seal(key, plain);
    expect(sealed.length).toBe(encryptedSize(n, 1000));
    expect(Buffer.compare(await open(key, sealed), plain)).toBe(0);
  });

  it('never contains the plaintext and differs on every encryption (random nonce prefix)', async () => {
    const key = await generateContentKey();
    const plain = Buffer.from('secret video bytes '.repeat(200));
    const a = await seal(key, plain);
    const b = await seal(key, plain);
    expect(a.includes(Buffer.from('secret video bytes'))).toBe(false);
    expect(Buffer.compare(a, b)).not.toBe(0);
  });

  it('refuses a wrong key, a flipped bit, a dropped chunk, reordering and truncation', async () => {
    const key = await generateContentKey();
    const plain = randomBytes(4500);
    const sealed = await seal(key, plain);
    const chunk = 1000 + 16;
    await expect(open(await generateContentKey(), sealed)).rejects.toThrow(CipherFormatError);

    const flipped = Buffer.from(sealed);
    flipped[HEADER_BYTES + 10] ^= 1;
    await expect(open(key, flipped)).rejects.toThrow(/chunk 0 failed/);

    const dropped = Buffer.concat([sealed.subarray(0, HEADER_BYTES + chunk), sealed.subarray(HEADER_BYTES + 2 * chunk)]);
    await expect(open(key, dropped)).rejects.toThrow(CipherFormatError);

    const c0 = sealed.subarray(HEADER_BYTES, HEADER_BYTES + chunk);
    const c1 = sealed.subarray(HEADER_BYTES + chunk, HEADER_BYTES + 2 * chunk);
    const swapped = Buffer.concat([sealed.subarray(0, HEADER_BYTES), c1, c0, sealed.subarray(HEADER_BYTES + 2 * chunk)]);
    await expect(open(key, swapped)).rejects.toThrow(CipherFormatError);

    // Cut exactly on a chunk boundary: every remaining chunk is intact, but none is marked final.
    await expect(open(key, sealed.subarray(0, HEADER_BYTES + 2 * chunk))).rejects.toThrow(CipherFormatError);
    await expect(open(key, sealed.subarray(0, HEADER_BYTES))).rejects.toThrow(/truncated/);
    await expect(open(key, Buffer.from('not encrypted at all, just text'))).rejects.toThrow(/bad header/);
  });
});

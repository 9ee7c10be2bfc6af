import { randomBytes } from 'node:crypto';
import { chunkRunsFor, ChunkSizeError, CipherFormatError, decryptChunkRun, decryptChunks, encryptChunks, encryptedSize, generateContentKey, HEADER_BYTES, MAX_CHUNK_BYTES, sealedChunkOffset, sealedLayout } from './chunked-cipher';

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

describe('ranged reads of a sealed stream', () => {
  const CHUNK = 64;
  async function sealed(plain: Uint8Array): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const p of encryptChunks(KEY_FOR_RANGES, (async function* () { yield plain; })(), CHUNK)) parts.push(p);
    return Uint8Array.from(Buffer.concat(parts));
  }
  const KEY_FOR_RANGES = new Uint8Array(32).fill(7);
  const plain = Uint8Array.from({ length: CHUNK * 5 + 10 }, (_, i) => (i * 31) & 255);
  async function* once(bytes: Uint8Array) {
    yield bytes;
  }
  async function run(stream: Uint8Array, first: number, last: number, final: number) {
    const out: { index: number; plaintext: Uint8Array }[] = [];
    const from = sealedChunkOffset(CHUNK, first);
    const to = Math.min(stream.length, sealedChunkOffset(CHUNK, last + 1));
    for await (const c of decryptChunkRun(KEY_FOR_RANGES, stream.slice(0, HEADER_BYTES), first, final, once(stream.slice(from, to)))) out.push(c);
    return out;
  }

  it('knows the layout from the header and the size, and which chunks hold a plaintext range', async () => {
    const stream = await sealed(plain);
    expect(sealedLayout(stream.slice(0, HEADER_BYTES), stream.length)).toEqual({ chunkSize: CHUNK, chunks: 6, plaintextBytes: plain.length });
    expect(chunkRunsFor([[0, 10], [70, 130], [300, 320]], CHUNK, 6)).toEqual([[0, 2], [4, 4]]);
    expect(chunkRunsFor([[129, 1000]], CHUNK, 6)).toEqual([[2, 5]]);
  });

  it('decrypts a run from the middle and the final chunk, each where it belongs', async () => {
    const stream = await sealed(plain);
    const middle = await run(stream, 2, 3, 5);
    expect(middle.map((c) => c.index)).toEqual([2, 3]);
    expect(Buffer.concat(middle.map((c) => c.plaintext))).toEqual(Buffer.from(plain.slice(2 * CHUNK, 4 * CHUNK)));
    const tail = await run(stream, 5, 5, 5);
    expect(Buffer.from(tail[0].plaintext)).toEqual(Buffer.from(plain.slice(5 * CHUNK)));
  });

  it('refuses a chunk read as another index, a last chunk not marked final, and a bad header', async () => {
    const stream = await sealed(plain);
    const chunk2 = stream.slice(sealedChunkOffset(CHUNK, 2), sealedChunkOffset(CHUNK, 3));
    const asThird = async () => {
      for await (const _ of decryptChunkRun(KEY_FOR_RANGES, stream.slice(0, HEADER_BYTES), 3, 5, once(chunk2))) void _;
    };
    await expect(asThird()).rejects.toThrow(CipherFormatError);
    await expect(run(stream, 5, 5, 6)).rejects.toThrow(CipherFormatError);
    expect(() => sealedLayout(new Uint8Array(HEADER_BYTES), stream.length)).toThrow(CipherFormatError);
  });
});

describe('chunk size bound', () => {
  /** A header as a hostile sender would write it: right magic and version, any chunk size. */
  function headerDeclaring(chunkSize: number): Uint8Array {
    const h = new Uint8Array(HEADER_BYTES);
    h.set([0x41, 0x4c, 0x4b, 0x31, 1], 0);
    new DataView(h.buffer).setUint32(5, chunkSize);
    return h;
  }

  it('refuses a header declaring a 1 GiB chunk at open, having read nothing past the header', async () => {
    const GiB = 1024 ** 3;
    let pulls = 0;
    // The header, then an endless stream: a reader that tried to buffer one chunk would hang here.
    async function* hostile(): AsyncGenerator<Uint8Array> {
      pulls++;
      yield headerDeclaring(GiB);
      for (;;) {
        pulls++;
        yield new Uint8Array(64 * 1024);
      }
    }
    const err = await (async () => {
      for await (const _ of decryptChunks(await generateContentKey(), hostile())) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChunkSizeError);
    expect(err).toBeInstanceOf(CipherFormatError);
    expect(pulls).toBe(1);
    expect(() => sealedLayout(headerDeclaring(GiB), GiB + 1000)).toThrow(ChunkSizeError);
    expect(() => sealedLayout(headerDeclaring(0), 1000)).toThrow(ChunkSizeError);
    const run = async () => {
      for await (const _ of decryptChunkRun(await generateContentKey(), headerDeclaring(MAX_CHUNK_BYTES + 1), 0, 0, hostile())) void _;
    };
    await expect(run()).rejects.toThrow(ChunkSizeError);
  });

  it('opens a stream at the largest chunk size, and refuses to seal at any size outside 1..MAX_CHUNK_BYTES', async () => {
    const key = await generateContentKey();
    const plain = randomBytes(1000);
    const atMax = await collect(encryptChunks(key, pieces(plain, 333), MAX_CHUNK_BYTES));
    expect(Buffer.compare(await collect(decryptChunks(key, pieces(atMax, 100))), plain)).toBe(0);
    for (const bad of [0, -1, 1.5, MAX_CHUNK_BYTES + 1, 2 ** 32 - 1, Number.NaN]) {
      await expect(seal(key, plain, bad)).rejects.toThrow(ChunkSizeError);
      expect(() => encryptedSize(1000, bad)).toThrow(ChunkSizeError);
    }
  });
});


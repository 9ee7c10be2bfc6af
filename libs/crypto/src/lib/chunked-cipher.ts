/**
 * Streaming AES-256-GCM for media files of any size in bounded memory (WebCrypto only,
 * so the same code runs in Node 20 and browsers).
 *
 * Format "ALK1":
 *   header  = magic "ALK1" | version 1 (1 byte) | chunkSize (u32 BE) | noncePrefix (8 random bytes)   (17 bytes)
 *   chunk i = AES-GCM(key, nonce = noncePrefix | i (u32 BE), aad = header | i (u32 BE) | final (1 byte)) (plaintext + 16-byte tag)
 * Every chunk but the last holds exactly chunkSize plaintext bytes. Binding the index and a
 * final flag into the AAD makes reordering, dropping and truncation fail authentication.
 */
const MAGIC = [0x41, 0x4c, 0x4b, 0x31]; // "ALK1"
const VERSION = 1;
export const HEADER_BYTES = 17;
export const TAG_BYTES = 16;
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/**
 * The largest chunk a stream may declare. A reader holds one sealed chunk (two while it looks
 * ahead for the final one) in memory, so the header's u32 would let a sender make every reader
 * buffer up to 4 GiB; 16 times the SDK's size is room enough and bounds that to tens of MiB.
 */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
const MAX_CHUNKS = 2 ** 32 - 1;

export class CipherFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CipherFormatError';
  }
}

/** A chunk size outside 1..MAX_CHUNK_BYTES, declared by a stream's header or asked of the sealer. */
export class ChunkSizeError extends CipherFormatError {
  constructor(readonly chunkSize: number) {
    super(`chunk size ${chunkSize} is outside 1..${MAX_CHUNK_BYTES} bytes`);
    this.name = 'ChunkSizeError';
  }
}

/** Throws ChunkSizeError unless `chunkSize` is a whole number of bytes in 1..MAX_CHUNK_BYTES. */
export function assertChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_BYTES) throw new ChunkSizeError(chunkSize);
}

const subtle = () => globalThis.crypto.subtle;

export async function generateContentKey(): Promise<Uint8Array> {
  return globalThis.crypto.getRandomValues(new Uint8Array(32));
}

async function importKey(raw: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  if (raw.length !== 32) throw new CipherFormatError('content keys are 32 bytes (AES-256)');
  return subtle().importKey('raw', raw as BufferSource, 'AES-GCM', false, [usage]);
}

function header(chunkSize: number, noncePrefix: Uint8Array): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES);
  h.set(MAGIC, 0);
  h[4] = VERSION;
  new DataView(h.buffer).setUint32(5, chunkSize);
  h.set(noncePrefix, 9);
  return h;
}

function nonceFor(prefix: Uint8Array, index: number): Uint8Array {
  const n = new Uint8Array(12);
  n.set(prefix, 0);
  new DataView(n.buffer).setUint32(8, index);
  return n;
}

function aadFor(head: Uint8Array, index: number, final: boolean): Uint8Array {
  const a = new Uint8Array(HEADER_BYTES + 5);
  a.set(head, 0);
  new DataView(a.buffer).setUint32(HEADER_BYTES, index);
  a[HEADER_BYTES + 4] = final ? 1 : 0;
  return a;
}

/** Re-chunks an arbitrary byte stream into fixed-size pieces, keeping one piece of look-ahead. */
async function* fixedChunks(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  const reader = byteReader(source);
  for (;;) {
    const chunk = await reader.read(size);
    if (chunk.length > 0) yield chunk;
    if (chunk.length < size) return;
  }
}

/** Pairs each item with whether it is the last one (needs one item of look-ahead). */
async function* withFinal<T>(source: AsyncIterable<T>): AsyncGenerator<[T, boolean]> {
  let previous: { value: T } | undefined;
  for await (const item of source) {
    if (previous) yield [previous.value, false];
    previous = { value: item };
  }
  if (previous) yield [previous.value, true];
}

export async function* encryptChunks(
  rawKey: Uint8Array,
  plaintext: AsyncIterable<Uint8Array>,
  chunkSize = DEFAULT_CHUNK_BYTES,
): AsyncGenerator<Uint8Array> {
  assertChunkSize(chunkSize);
  const key = await importKey(rawKey, 'encrypt');
  const prefix = globalThis.crypto.getRandomValues(new Uint8Array(8));
  const head = header(chunkSize, prefix);
  yield head;
  let index = 0;
  let wroteAny = false;
  for await (const [chunk, final] of withFinal(fixedChunks(plaintext, chunkSize))) {
    if (index >= MAX_CHUNKS) throw new CipherFormatError('input too large for one stream');
    yield await seal(key, prefix, head, index++, final, chunk);
    wroteAny = true;
  }
  // An empty input still gets one authenticated (empty) final chunk, so truncation to the header fails.
  if (!wroteAny) yield await seal(key, prefix, head, 0, true, new Uint8Array(0));
}

async function seal(key: CryptoKey, prefix: Uint8Array, head: Uint8Array, index: number, final: boolean, chunk: Uint8Array): Promise<Uint8Array> {
  const ct = await subtle().encrypt(
    { name: 'AES-GCM', iv: nonceFor(prefix, index) as BufferSource, additionalData: aadFor(head, index, final) as BufferSource },
    key,
    chunk as BufferSource,
  );
  return new Uint8Array(ct);
}

export async function* decryptChunks(rawKey: Uint8Array, ciphertext: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const key = await importKey(rawKey, 'decrypt');
  const reader = byteReader(ciphertext);
  const head = await reader.read(HEADER_BYTES);
  const chunkSize = chunkSizeOf(head);
  const prefix = head.slice(9, 17);
  const sealedSize = chunkSize + TAG_BYTES;
  let index = 0;
  let current = await reader.read(sealedSize);
  for (;;) {
    if (current.length < TAG_BYTES) throw new CipherFormatError('truncated: missing final chunk');
    const next = current.length === sealedSize ? await reader.read(sealedSize) : new Uint8Array(0);
    const final = next.length === 0;
    try {
      const pt = await subtle().decrypt(
        { name: 'AES-GCM', iv: nonceFor(prefix, index) as BufferSource, additionalData: aadFor(head, index, final) as BufferSource },
        key,
        current as BufferSource,
      );
      yield new Uint8Array(pt);
    } catch {
      throw new CipherFormatError(`chunk ${index} failed authentication (wrong key, tampered or truncated)`);
    }
    if (final) return;
    index++;
    current = next;
  }
}

/** Where sealed chunk `index` starts in a stream of `chunkSize` chunks. */
export function sealedChunkOffset(chunkSize: number, index: number): number {
  return HEADER_BYTES + index * (chunkSize + TAG_BYTES);
}

/**
 * The chunk size a sealed stream's header declares (magic and version checked), refused
 * (ChunkSizeError) outside 1..MAX_CHUNK_BYTES before a reader buffers any chunk.
 */
function chunkSizeOf(head: Uint8Array): number {
  if (head.length < HEADER_BYTES || !MAGIC.every((b, i) => head[i] === b) || head[4] !== VERSION) {
    throw new CipherFormatError('not an Airlock encrypted stream (bad header)');
  }
  const chunkSize = new DataView(head.buffer, head.byteOffset).getUint32(5);
  assertChunkSize(chunkSize);
  return chunkSize;
}

/**
 * A sealed stream's layout from its header and total size: the chunk size, how many chunks
 * (the last is final) and the plaintext size. What a reader of byte ranges needs to know which
 * chunks to fetch.
 */
export function sealedLayout(head: Uint8Array, sealedBytes: number): { chunkSize: number; chunks: number; plaintextBytes: number } {
  const chunkSize = chunkSizeOf(head);
  const chunks = Math.max(1, Math.ceil((sealedBytes - HEADER_BYTES) / (chunkSize + TAG_BYTES)));
  const plaintextBytes = sealedBytes - HEADER_BYTES - chunks * TAG_BYTES;
  if (plaintextBytes < 0) throw new CipherFormatError('truncated: the stream is shorter than its chunks');
  return { chunkSize, chunks, plaintextBytes };
}

/** The runs of consecutive chunks ([first, last] indices) that hold these plaintext [start, end) ranges. */
export function chunkRunsFor(ranges: readonly (readonly [number, number])[], chunkSize: number, chunks: number): [number, number][] {
  const wanted = ranges
    .filter(([s, e]) => e > s)
    .map(([s, e]) => [Math.floor(s / chunkSize), Math.min(chunks - 1, Math.floor((e - 1) / chunkSize))] as [number, number])
    .filter(([a, b]) => a <= b)
    .sort((x, y) => x[0] - y[0]);
  const runs: [number, number][] = [];
  for (const [a, b] of wanted) {
    const last = runs[runs.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else runs.push([a, b]);
  }
  return runs;
}

/**
 * Decrypts a run of consecutive sealed chunks (a byte range of the stream, from the start of
 * chunk `firstIndex`), each bound to its index, the header and whether it is the stream's last
 * (`finalIndex`): a chunk moved, swapped or taken from another stream fails authentication.
 */
export async function* decryptChunkRun(
  rawKey: Uint8Array,
  head: Uint8Array,
  firstIndex: number,
  finalIndex: number,
  sealed: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ index: number; plaintext: Uint8Array }> {
  const chunkSize = chunkSizeOf(head);
  const key = await importKey(rawKey, 'decrypt');
  const header = head.slice(0, HEADER_BYTES);
  const prefix = header.slice(9, 17);
  const reader = byteReader(sealed);
  for (let index = firstIndex; index <= finalIndex; index++) {
    const chunk = await reader.read(chunkSize + TAG_BYTES);
    if (chunk.length === 0) return;
    if (chunk.length < TAG_BYTES) throw new CipherFormatError(`truncated: chunk ${index} is cut short`);
    try {
      const pt = await subtle().decrypt(
        { name: 'AES-GCM', iv: nonceFor(prefix, index) as BufferSource, additionalData: aadFor(header, index, index === finalIndex) as BufferSource },
        key,
        chunk as BufferSource,
      );
      yield { index, plaintext: new Uint8Array(pt) };
    } catch {
      throw new CipherFormatError(`chunk ${index} failed authentication (wrong key, tampered or truncated)`);
    }
  }
}

/**
 * Reads exact byte counts from an async stream of arbitrary pieces. Pieces are gathered and
 * joined once per read (not re-copied per piece), so a read costs one copy of its bytes.
 */
function byteReader(source: AsyncIterable<Uint8Array>) {
  const it = source[Symbol.asyncIterator]();
  let pieces: Uint8Array[] = [];
  let buffered = 0;
  let done = false;
  return {
    async read(n: number): Promise<Uint8Array> {
      while (buffered < n && !done) {
        const r = await it.next();
        if (r.done) done = true;
        else if (r.value.length > 0) {
          pieces.push(r.value);
          buffered += r.value.length;
        }
      }
      const all = pieces.length === 1 ? pieces[0] : join(pieces, buffered);
      const out = all.slice(0, n);
      const rest = all.subarray(out.length);
      pieces = rest.length > 0 ? [rest] : [];
      buffered = rest.length;
      return out;
    },
  };
}

function join(pieces: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Size of the ciphertext for a plaintext size (to declare uploads up front). */
export function encryptedSize(plaintextBytes: number, chunkSize = DEFAULT_CHUNK_BYTES): number {
  assertChunkSize(chunkSize);
  const chunks = Math.max(1, Math.ceil(plaintextBytes / chunkSize));
  return HEADER_BYTES + plaintextBytes + chunks * TAG_BYTES;
}

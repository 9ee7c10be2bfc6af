/** What a ranged read learns from its first request: the sealed stream's header and the object's size. */
export interface SealedHead {
  readonly header: Uint8Array;
  readonly total: number;
}

/**
 * The sealed headers this worker has read, by sealed object (its sha256 and size), so the
 * segment tasks of a media after the first skip one request each. A header is the format,
 * the chunk size and the nonce prefix: no key and no plaintext, so remembering it across
 * attempts keeps nothing the plaintext boundary covers; and it is bound into every chunk's
 * authentication, so a wrong one could only fail decryption. Bounded: the oldest go first.
 */
export class SealedHeaders {
  private readonly known = new Map<string, SealedHead>();

  constructor(private readonly capacity = 1024) {}

  async get(source: { sha256: string; sizeBytes: number }, read: () => Promise<SealedHead>): Promise<SealedHead> {
    const key = `${source.sha256}:${source.sizeBytes}`;
    const seen = this.known.get(key);
    if (seen) return seen;
    const head = await read();
    if (this.known.size >= this.capacity) this.known.delete(this.known.keys().next().value as string);
    this.known.set(key, head);
    return head;
  }
}

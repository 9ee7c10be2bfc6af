const INFO = new TextEncoder().encode('airlock/blob/v1');

/**
 * The key chat files (poster, animated preview, MP4) are sealed with: HKDF-SHA256 of the
 * media's 16-byte output key, 32 bytes for the chunked AES-256-GCM format. A recipient who
 * unwrapped the output key derives the same key; nothing else needs to be wrapped or stored.
 */
export async function deriveBlobKey(outputKey: Uint8Array): Promise<Uint8Array> {
  if (outputKey.length !== 16) throw new RangeError('output keys are 16 bytes (AES-128)');
  const subtle = globalThis.crypto.subtle;
  const base = await subtle.importKey('raw', outputKey as BufferSource, 'HKDF', false, ['deriveBits']);
  const bits = await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: INFO }, base, 256);
  return new Uint8Array(bits);
}

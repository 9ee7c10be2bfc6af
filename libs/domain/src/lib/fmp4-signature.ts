/** Top-level box types of ISO/IEC 14496-12 and 23009-1 that an fMP4 init or media segment opens with. */
const LEADING_BOXES = new Set(['ftyp', 'styp', 'moov', 'moof', 'mdat', 'sidx', 'ssix', 'emsg', 'prft', 'free', 'skip', 'meta', 'uuid', 'pdin', 'mfra']);

/** The type of the box the bytes open with, when they open with the header of an fMP4 box. */
export function leadingFmp4Box(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  const type = String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7]);
  return LEADING_BOXES.has(type) ? type : undefined;
}

/**
 * True when the bytes open with an fMP4 box header: what a clear (or rightly decrypted) segment
 * does. Random bytes (ciphertext, or a wrong key's output whose PKCS#7 padding happened to check
 * out, about one object in 256) name one of these types about once in 2^28.
 */
export function opensAsFmp4(bytes: Uint8Array): boolean {
  return leadingFmp4Box(bytes) !== undefined;
}

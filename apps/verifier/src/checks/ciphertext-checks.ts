/**
 * What the stored bytes of a published init or media segment show about its encryption without
 * the key. Each is encrypted whole (HLS `METHOD=AES-128`: AES-128-CBC with PKCS#7 padding), so:
 * - it must not read as clear ISO-BMFF: a clear fMP4 object opens with the header of a top-level
 *   box (ftyp, styp, moof, sidx, ...). Random ciphertext names one of these types by chance about
 *   once in 280 million objects, so this never refuses honest output in practice;
 * - it must be a positive whole number of 16-byte blocks (padding always adds at least one byte).
 * A block-aligned truncation or bytes under another key read the same as honest ciphertext here:
 * only the deep checks, which decrypt, can tell.
 */

/** Top-level box types of ISO/IEC 14496-12 and 23009-1 that open an fMP4 init or media segment. */
const CLEAR_LEADING_BOXES = new Set(['ftyp', 'styp', 'moov', 'moof', 'mdat', 'sidx', 'ssix', 'emsg', 'prft', 'free', 'skip', 'meta', 'uuid', 'pdin', 'mfra']);

const AES_BLOCK = 16;

/** A reason code and its detail when the object cannot be honest ciphertext, otherwise undefined. */
export function ciphertextProblem(bytes: Uint8Array): [reason: string, detail: string] | undefined {
  const leading = bytes.length >= 8 ? Buffer.from(bytes.buffer, bytes.byteOffset + 4, 4).toString('latin1') : '';
  if (CLEAR_LEADING_BOXES.has(leading)) return ['encryption_missing', `the object reads as clear ISO-BMFF (it opens with a '${leading}' box)`];
  if (bytes.length === 0 || bytes.length % AES_BLOCK !== 0) return ['encryption_not_block_aligned', `${bytes.length} bytes is not a positive whole number of ${AES_BLOCK}-byte AES blocks`];
  return undefined;
}

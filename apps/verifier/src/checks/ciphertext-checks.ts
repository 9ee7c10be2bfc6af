import { leadingFmp4Box } from '@airlock/domain';

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


const AES_BLOCK = 16;

/** A reason code and its detail when the object cannot be honest ciphertext, otherwise undefined. */
export function ciphertextProblem(bytes: Uint8Array): [reason: string, detail: string] | undefined {
  const leading = leadingFmp4Box(bytes);
  if (leading) return ['encryption_missing', `the object reads as clear ISO-BMFF (it opens with a '${leading}' box)`];
  if (bytes.length === 0 || bytes.length % AES_BLOCK !== 0) return ['encryption_not_block_aligned', `${bytes.length} bytes is not a positive whole number of ${AES_BLOCK}-byte AES blocks`];
  return undefined;
}

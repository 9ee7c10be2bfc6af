import { decryptSegment, encryptSegment, segmentIv } from '@airlock/crypto';
import { AttemptGrant } from '../grants/grant-client';

/**
 * Published init and media segments are encrypted whole under the media's output key
 * (AES-128-CBC, PKCS#7: HLS METHOD=AES-128, which native players decrypt without EME). The IV
 * comes from the key id, the rendition and the object's index (-1 for the init), never from the
 * bytes or the clock: a retry, a duplicate execution and a segment group write the same
 * ciphertext for the same clear bytes, and no two objects under one key share an IV.
 */

/** What a stream's report says about its segments: the scheme and the (public) key id. */
export function segmentEncryption(grant: AttemptGrant): { scheme: 'aes-128'; keyId: string } {
  return { scheme: 'aes-128', keyId: grant.outputKeyId };
}

/** The object as stored: one packaged (clear) init or media segment, encrypted. */
export async function encryptPackaged(grant: AttemptGrant, rendition: string, index: number, clear: Uint8Array): Promise<Buffer> {
  return Buffer.from(await encryptSegment(clear, grant.outputKey, await segmentIv(grant.outputKeyId, rendition, index)));
}

/** The packaged bytes back from a stored object (the tampering worker edits them); throws on a wrong key or IV. */
export async function decryptPackaged(grant: AttemptGrant, rendition: string, index: number, stored: Uint8Array): Promise<Buffer> {
  return Buffer.from(await decryptSegment(stored, grant.outputKey, await segmentIv(grant.outputKeyId, rendition, index)));
}

import type { JWK } from 'jose';
import { unwrapKey } from '@airlock/crypto';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * The recipient's side: unwrap this media's output key with the recipient's private key and
 * hand players a ClearKey map `{ keyIdHex: keyHex }` (shaka `drm.clearKeys`, hls.js ClearKey).
 */
export async function clearKeysFor(media: { keyId: string; keys: { recipientId: string; jwe: string }[] }, recipientId: string, privateJwk: JWK): Promise<Record<string, string>> {
  const mine = media.keys.find((k) => k.recipientId === recipientId);
  if (!mine) throw new Error(`no key for recipient ${recipientId} on this media`);
  const key = await unwrapKey(mine.jwe, privateJwk);
  try {
    return { [media.keyId]: hex(key) };
  } finally {
    key.fill(0);
  }
}

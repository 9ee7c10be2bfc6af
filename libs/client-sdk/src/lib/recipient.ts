import type { JWK } from 'jose';
import { decryptChunks, deriveBlobKey, unwrapKey } from '@airlock/crypto';

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

/**
 * Open a sealed chat file (poster, animated preview, MP4) with the media's output key, as
 * bytes. Works in Node and the browser; large files can use `decryptChunks` as a stream.
 */
export async function openSealedFile(sealed: Uint8Array, outputKey: Uint8Array): Promise<Uint8Array> {
  const key = await deriveBlobKey(outputKey);
  try {
    const parts: Uint8Array[] = [];
    for await (const part of decryptChunks(key, once(sealed))) parts.push(part);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
    return out;
  } finally {
    key.fill(0);
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

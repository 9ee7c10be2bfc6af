/**
 * Whole-object AES-128-CBC (PKCS#7 padding) for published init and media segments: HLS's own
 * `METHOD=AES-128`, which every native HLS player decrypts without EME (AVPlayer, ExoPlayer/Media3,
 * FFmpeg, hls.js), and which the SDK's DASH player undoes in a response filter. One encryption
 * serves both formats. WebCrypto only, so it runs the same in Node 20 and browsers.
 *
 * The IV of each object is derived from the media's key id, the rendition and the object's place
 * in it (`-1` for the init segment), never from its bytes: a retry writes the same bytes, no two
 * objects under one key share an IV, and a player that knows an object's URL knows its IV (the
 * HLS playlist also states it, as `IV=`).
 */

/** The key URI scheme a recipient's app answers itself: the key is never served by URL. */
export const SEGMENT_KEY_URI_SCHEME = 'airlock-key';

const IV_LABEL = 'airlock-aes128-iv';

/** `airlock-key://<mediaId>/<keyIdHex>`: names the key; only the recipient's app can answer it. */
export function segmentKeyUri(mediaId: string, keyIdHex: string): string {
  return `${SEGMENT_KEY_URI_SCHEME}://${mediaId}/${keyIdHex}`;
}

/** The media and key id a key URI names, or undefined when it is not one of ours. */
export function parseSegmentKeyUri(uri: string): { mediaId: string; keyIdHex: string } | undefined {
  const m = new RegExp(`^${SEGMENT_KEY_URI_SCHEME}://([A-Za-z0-9_-]+)/([0-9a-f]{32})$`).exec(uri);
  return m ? { mediaId: m[1], keyIdHex: m[2] } : undefined;
}

/** The 16-byte IV of one object: SHA-256 over the label, key id, rendition and index, first half. */
export async function segmentIv(keyIdHex: string, rendition: string, index: number): Promise<Uint8Array> {
  const digest = await subtle().digest('SHA-256', new TextEncoder().encode(`${IV_LABEL}/${keyIdHex}/${rendition}/${index}`));
  return new Uint8Array(digest, 0, 16);
}

/** The IV as HLS writes it: `0x` and 32 hex digits. */
export function hlsIvAttribute(iv: Uint8Array): string {
  return `0x${Array.from(iv, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export async function encryptSegment(clear: Uint8Array, key: Uint8Array, iv: Uint8Array): Promise<Uint8Array> {
  const k = await importKey(key, 'encrypt');
  return new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv: bytes(iv) }, k, bytes(clear)));
}

/** Throws SegmentDecryptError when the key or IV is wrong (bad padding) or the bytes are not whole blocks. */
export async function decryptSegment(cipher: Uint8Array, key: Uint8Array, iv: Uint8Array): Promise<Uint8Array> {
  if (cipher.length === 0 || cipher.length % 16 !== 0) throw new SegmentDecryptError(`${cipher.length} bytes is not a whole number of AES blocks`);
  const k = await importKey(key, 'decrypt');
  try {
    return new Uint8Array(await subtle().decrypt({ name: 'AES-CBC', iv: bytes(iv) }, k, bytes(cipher)));
  } catch {
    throw new SegmentDecryptError('the segment does not decrypt under this key (bad padding)');
  }
}

export class SegmentDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SegmentDecryptError';
  }
}

function importKey(key: Uint8Array, use: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  if (key.length !== 16) throw new RangeError(`an AES-128 key is 16 bytes, not ${key.length}`);
  return subtle().importKey('raw', bytes(key), { name: 'AES-CBC' }, false, [use]);
}

/** A copy on its own ArrayBuffer (WebCrypto takes BufferSource; Node Buffers share pools). */
function bytes(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}

function subtle(): SubtleCrypto {
  return globalThis.crypto.subtle;
}

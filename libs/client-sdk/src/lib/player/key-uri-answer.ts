import { parseSegmentKeyUri } from '@airlock/crypto';

/** The one key a player holds: the media and key id it belongs to, and the key. */
export interface HeldKey {
  readonly mediaId: string;
  readonly keyIdHex: string;
  readonly key: Uint8Array;
}

/**
 * The answer to a playlist's key URI (`airlock-key://<media>/<kid>`), from memory: a copy of the
 * held key when the URI names exactly it, undefined for any other URI (another media, another key,
 * another scheme), which the player reports as `key_missing`. Nothing is fetched.
 */
export function answerKeyUri(uri: string, held: HeldKey): Uint8Array | undefined {
  const named = parseSegmentKeyUri(uri);
  if (!named || named.mediaId !== held.mediaId || named.keyIdHex !== held.keyIdHex.toLowerCase()) return undefined;
  return new Uint8Array(held.key);
}

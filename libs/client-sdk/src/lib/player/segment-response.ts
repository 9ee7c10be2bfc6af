import { decryptSegment, SegmentDecryptError, segmentIv } from '@airlock/crypto';
import { opensAsFmp4, segmentPlaceOf } from '@airlock/domain';
import { KEY_NOT_HELD_ERROR } from './shaka-failure';

/** SupplementalProperty scheme on each AdaptationSet of an Airlock MPD: segments are whole-object AES-128-CBC under the key id in `value`. */
export const WHOLE_SEGMENT_AES_SCHEME = 'urn:airlock:aes-128-cbc:2026';

/**
 * The key ids an MPD says its segments are encrypted under (the `value` of each
 * SupplementalProperty with WHOLE_SEGMENT_AES_SCHEME), lowercase, deduplicated; empty when it
 * says nothing. Read with a pattern, not a DOM parser, so it also runs outside a page.
 */
export function mpdSegmentKeyIds(mpd: string): string[] {
  const ids = new Set<string>();
  for (const tag of mpd.match(/<(?:[\w-]+:)?SupplementalProperty\b[^>]*>/g) ?? []) {
    const scheme = /\bschemeIdUri\s*=\s*"([^"]*)"/.exec(tag)?.[1];
    const value = /\bvalue\s*=\s*"([^"]*)"/.exec(tag)?.[1];
    if (scheme === WHOLE_SEGMENT_AES_SCHEME && value) ids.add(value.replace(/-/g, '').toLowerCase());
  }
  return [...ids];
}

/** Thrown when an MPD names a segment key other than the one the page holds. */
export class KeyNotHeldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = KEY_NOT_HELD_ERROR;
  }
}

/** Throws KeyNotHeldError when the MPD names a segment key other than `keyIdHex`. */
export function assertMpdKey(mpd: string, keyIdHex: string): void {
  const other = mpdSegmentKeyIds(mpd).find((id) => id !== keyIdHex.toLowerCase());
  if (other) throw new KeyNotHeldError(`the MPD's segments are under key ${other}, the page holds ${keyIdHex.toLowerCase()}`);
}

/** Thrown when a segment URL does not say which rendition and index it is, so its IV is unknown. */
export class SegmentPlaceError extends Error {
  constructor(url: string) {
    super(`cannot tell the rendition and index of ${url}`);
    this.name = 'SegmentPlaceError';
  }
}

/**
 * Decrypts one whole-object AES-128-CBC init or media segment fetched from `url`: its IV comes
 * from the rendition and index in the URL (`…/<rendition>/init-<sha>.mp4` is -1,
 * `…/<rendition>/<index>-<sha>.m4s`) and the key id. Throws SegmentDecryptError under a wrong key
 * (bad padding, or clear bytes that are not an fMP4 object).
 */
export async function decryptSegmentAt(url: string, cipher: Uint8Array, key: Uint8Array, keyIdHex: string): Promise<{ clear: Uint8Array; rendition: string; index: number }> {
  const place = segmentPlaceOf(url);
  if (!place) throw new SegmentPlaceError(url);
  const clear = await decryptSegment(cipher, key, await segmentIv(keyIdHex.toLowerCase(), place.rendition, place.index));
  if (!opensAsFmp4(clear)) throw new SegmentDecryptError('the segment decrypts to bytes that are not an fMP4 object (wrong key)');
  return { clear, ...place };
}

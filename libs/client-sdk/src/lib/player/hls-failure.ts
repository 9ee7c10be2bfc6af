import type { PlayerFailure } from './player-state';

/** The parts of an hls.js ERROR event's data the mapping reads (hls.js `ErrorData`). */
export interface HlsErrorFacts {
  readonly type: string;
  readonly details: string;
  readonly fatal: boolean;
}

const MANIFEST_DETAILS = new Set([
  'manifestLoadError',
  'manifestLoadTimeOut',
  'manifestParsingError',
  'levelLoadError',
  'levelLoadTimeOut',
  'levelParsingError',
  'levelEmptyError',
  'audioTrackLoadError',
  'audioTrackLoadTimeOut',
]);
const SEGMENT_DETAILS = new Set(['fragLoadError', 'fragLoadTimeOut']);
const KEY_DETAILS = new Set(['keyLoadError', 'keyLoadTimeOut']);
const UNSUPPORTED_DETAILS = new Set(['manifestIncompatibleCodecsError']);

/**
 * The reason an hls.js error ends playback, or undefined when hls.js may still recover. The
 * player's own key loader is the only source of keys, so a key load error means the playlist
 * names a key the page does not hold (`key_missing`), at once. A segment that does not decrypt
 * (bad padding) after a key was handed over is `key_wrong` at once; one that decrypts to bytes
 * that do not parse is `key_wrong` too once hls.js gives up on it (its rare non-fatal case is a
 * wrong key whose padding happened to look right). Other errors count only when fatal.
 */
export function hlsFailureOf(e: HlsErrorFacts, keyHandedOver: boolean): PlayerFailure | undefined {
  if (KEY_DETAILS.has(e.details)) return 'key_missing';
  if (e.details === 'fragDecryptError') return keyHandedOver ? 'key_wrong' : 'decode_failed';
  if (!e.fatal) return undefined;
  if (e.details === 'fragParsingError') return keyHandedOver ? 'key_wrong' : 'decode_failed';
  if (MANIFEST_DETAILS.has(e.details)) return 'manifest_unavailable';
  if (SEGMENT_DETAILS.has(e.details)) return 'segment_unavailable';
  if (UNSUPPORTED_DETAILS.has(e.details)) return 'unsupported_browser';
  return e.type === 'networkError' ? 'segment_unavailable' : 'decode_failed';
}

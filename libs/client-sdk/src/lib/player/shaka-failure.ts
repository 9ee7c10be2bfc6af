import type { PlayerFailure } from './player-state';

/** The parts of a shaka.util.Error the mapping reads. */
export interface ShakaErrorFacts {
  readonly code: number;
  readonly category: number;
  readonly severity: number;
  readonly data: readonly unknown[];
}

// shaka.util.Error codes and categories, and NetworkingEngine request types (shaka 5 docs).
const CATEGORY_MEDIA = 3;
const CATEGORY_MANIFEST = 4;
const SEVERITY_CRITICAL = 2;
const BAD_HTTP_STATUS = 1001;
const HTTP_ERROR = 1002;
const TIMEOUT = 1003;
const RESPONSE_FILTER_ERROR = 1007;
const CONTENT_UNSUPPORTED_BY_BROWSER = 4032;
const LOAD_INTERRUPTED = 7000;
const OPERATION_ABORTED = 7001;
const REQUEST_TYPE_MANIFEST = 0;

/** Where each network error code keeps the request type (shaka.util.Error.Code docs). */
const REQUEST_TYPE_AT: Record<number, number> = { [BAD_HTTP_STATUS]: 4, [HTTP_ERROR]: 2, [TIMEOUT]: 1 };

/** Name of the error the DASH response filter throws when the MPD names a key the page does not hold. */
export const KEY_NOT_HELD_ERROR = 'KeyNotHeldError';
/** Name of @airlock/crypto's error for a segment that does not decrypt under the key. */
const SEGMENT_DECRYPT_ERROR = 'SegmentDecryptError';

const nameOf = (e: unknown): string | undefined => (e instanceof Error ? e.name : typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : undefined);

/**
 * The reason a shaka error ends playback, or undefined when it does not (shaka recovers, or the
 * player itself interrupted a load). A segment that does not decrypt in the response filter is
 * `key_wrong` even when shaka would retry it: the same key will not open it next time.
 */
export function shakaFailureOf(e: ShakaErrorFacts): PlayerFailure | undefined {
  if (e.code === RESPONSE_FILTER_ERROR) {
    const cause = nameOf(e.data[0]);
    if (cause === SEGMENT_DECRYPT_ERROR) return 'key_wrong';
    if (cause === KEY_NOT_HELD_ERROR) return 'key_missing';
    return e.severity === SEVERITY_CRITICAL ? 'decode_failed' : undefined;
  }
  if (e.code === LOAD_INTERRUPTED || e.code === OPERATION_ABORTED) return undefined;
  if (e.severity !== SEVERITY_CRITICAL) return undefined;
  const requestTypeAt = REQUEST_TYPE_AT[e.code];
  if (requestTypeAt !== undefined) return e.data[requestTypeAt] === REQUEST_TYPE_MANIFEST ? 'manifest_unavailable' : 'segment_unavailable';
  if (e.code === CONTENT_UNSUPPORTED_BY_BROWSER) return 'unsupported_browser';
  if (e.category === CATEGORY_MANIFEST) return 'manifest_unavailable';
  if (e.category === CATEGORY_MEDIA) return 'decode_failed';
  return 'decode_failed';
}

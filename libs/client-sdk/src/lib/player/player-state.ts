/** Why a player gave up: one name per cause an app may want to tell its user about. */
export type PlayerFailure =
  | 'not_a_recipient'
  | 'key_unwrap_failed'
  | 'key_missing'
  | 'key_wrong'
  | 'manifest_unavailable'
  | 'segment_unavailable'
  | 'unsupported_browser'
  | 'media_not_ready'
  | 'decode_failed';

/** What the player reports to the app through `onState`; `failed` is final. */
export type PlayerState =
  | { state: 'loading' }
  | { state: 'playing'; rendition?: string }
  | { state: 'stalled'; forMs: number }
  | { state: 'ended' }
  | { state: 'failed'; reason: PlayerFailure; detail: string };

/** A failure with its reason; `createAirlockPlayer` rejects with one when nothing could start. */
export class AirlockPlayerError extends Error {
  constructor(
    readonly reason: PlayerFailure,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'AirlockPlayerError';
  }
}

/** One init or media segment the player fetched (and decrypted), in load order; index -1 is an init segment. */
export interface SegmentLoad {
  readonly rendition: string;
  readonly index: number;
  readonly url: string;
}

const sameState = (a: PlayerState, b: PlayerState): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Holds the current state and tells the app about changes, once each: a repeated state is not
 * reported again, and nothing follows `failed`.
 */
export class StateReporter {
  private current: PlayerState = { state: 'loading' };

  constructor(private readonly listener?: (s: PlayerState) => void) {}

  get state(): PlayerState {
    return this.current;
  }

  get failed(): boolean {
    return this.current.state === 'failed';
  }

  /** Reports `next` unless it is the current state or the player has already failed; true when reported. */
  set(next: PlayerState): boolean {
    if (this.failed || sameState(this.current, next)) return false;
    this.current = next;
    this.listener?.(next);
    return true;
  }
}

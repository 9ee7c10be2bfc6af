import type { PlayerFormat } from './format-choice';
import type { HeldKey } from './key-uri-answer';
import type { PlayerFailure, SegmentLoad } from './player-state';

/** What an engine tells the player it runs in. */
export interface EngineEvents {
  /** The rung now shown changed (undefined: not known). */
  renditionShown(rendition: string | undefined): void;
  /** An init or media segment was fetched. */
  segmentLoaded(load: SegmentLoad): void;
  /** Playback cannot go on. */
  failed(reason: PlayerFailure, detail: string): void;
}

export interface EngineStart {
  readonly video: HTMLVideoElement;
  /** Absolute manifest URL. */
  readonly manifestUrl: string;
  readonly key: HeldKey;
  /** Rung to pin from the start; undefined for adaptive. */
  readonly rendition?: string;
  readonly events: EngineEvents;
}

/** One player library driven for one media: hls.js for HLS, shaka for DASH. */
export interface PlaybackEngine {
  readonly format: PlayerFormat;
  /** Video rungs by name, lowest first (empty until the manifest is read). */
  renditions(): string[];
  /** Pin one rung by name (no adaptation), or undefined to adapt again; throws RangeError for an unknown name. */
  pin(rendition?: string): void;
  destroy(): Promise<void>;
}

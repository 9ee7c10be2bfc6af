/**
 * The browser entry of the client SDK: the embeddable player. Bundled with its player libraries
 * (hls.js and shaka, each loaded only when its format plays) by `nx run client-sdk:bundle-player`.
 */
export { createAirlockPlayer } from './lib/player/airlock-player';
export type { AirlockPlayer, AirlockPlayerOptions } from './lib/player/airlock-player';
export { AirlockPlayerError } from './lib/player/player-state';
export type { PlayerFailure, PlayerState, SegmentLoad } from './lib/player/player-state';
export type { PlayerKey } from './lib/player/player-key';
export type { FormatRequest, PlayerFormat } from './lib/player/format-choice';

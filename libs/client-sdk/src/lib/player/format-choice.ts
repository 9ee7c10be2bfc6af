import { AirlockPlayerError } from './player-state';

export type PlayerFormat = 'hls' | 'dash';
export type FormatRequest = 'auto' | PlayerFormat;

/** What the browser offers a player. */
export interface BrowserSupport {
  /** MediaSource (or iOS's ManagedMediaSource) takes fragmented MP4 H.264: hls.js and shaka can run. */
  readonly mediaSource: boolean;
  /** The <video> element plays HLS itself (Safari). */
  readonly nativeHls: boolean;
}

/**
 * The format to play. Both players need MediaSource: native HLS in a <video> element (Safari)
 * would ask the network for the `airlock-key://` key URI, which only the page can answer, so it
 * is never chosen; `auto` takes HLS through hls.js, the format every native player shares.
 */
export function chooseFormat(requested: FormatRequest, support: BrowserSupport): PlayerFormat {
  if (!support.mediaSource) {
    const hint = support.nativeHls ? ' (this browser plays HLS natively, but cannot be handed the key for airlock-key:// URIs)' : '';
    throw new AirlockPlayerError('unsupported_browser', `no MediaSource for fragmented MP4${hint}`);
  }
  return requested === 'auto' ? 'hls' : requested;
}

/** Codecs every rung's init segment can be checked against: the lowest H.264 profile and AAC-LC. */
const PROBE_TYPE = 'video/mp4; codecs="avc1.42E01E,mp4a.40.2"';

/** Reads BrowserSupport from the page. */
export function browserSupport(video: HTMLVideoElement): BrowserSupport {
  const g = globalThis as { MediaSource?: { isTypeSupported(t: string): boolean }; ManagedMediaSource?: { isTypeSupported(t: string): boolean } };
  const ms = g.MediaSource ?? g.ManagedMediaSource;
  return {
    mediaSource: ms !== undefined && ms.isTypeSupported(PROBE_TYPE),
    nativeHls: video.canPlayType('application/vnd.apple.mpegurl') !== '',
  };
}

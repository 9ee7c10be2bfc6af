import { relativeKey, storageKeys } from '@airlock/domain';
import type { Track } from './manifest-input';

/** Seconds with six decimals, as EXTINF wants them. */
export function formatSeconds(ticks: number, timescale: number): string {
  return (ticks / timescale).toFixed(6);
}

/** The key a rendition's media playlist is stored at. */
export function hlsMediaKey(
  mediaId: string,
  version: string,
  track: Track,
): string {
  return storageKeys.hlsMedia(mediaId, version, track.stream.rendition);
}

/**
 * A VOD media playlist for one fMP4/CMAF rendition. URIs are relative to the playlist's own key,
 * so the same file works behind any origin or prefix.
 */
export function writeHlsMediaPlaylist(
  mediaId: string,
  version: string,
  track: Track,
): string {
  const playlistKey = hlsMediaKey(mediaId, version, track);
  const maxDuration = track.segments.reduce(
    (max, s) => Math.max(max, s.duration),
    0,
  );
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${Math.ceil(maxDuration / track.timescale)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI="${relativeKey(playlistKey, track.init.key)}"`,
  ];
  for (const seg of track.segments) {
    lines.push(
      `#EXTINF:${formatSeconds(seg.duration, track.timescale)},`,
      relativeKey(playlistKey, seg.key),
    );
  }
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

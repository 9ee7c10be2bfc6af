import { relativeKey, storageKeys } from '@airlock/domain';
import type { StreamEncryption, Track } from './manifest-input';

/** KEYFORMAT of the W3C Clear Key system, as hls.js matches it to its drmSystems config. */
export const HLS_CLEARKEY_KEYFORMAT = 'org.w3.clearkey';

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
 * The EXT-X-KEY line for cbcs CMAF under ClearKey. SAMPLE-AES is the HLS method for cbcs in fMP4 (the
 * IV is the constant IV in the init segment's tenc, so no IV attribute). hls.js 1.7 needs a URI to
 * treat segments as encrypted at all: a data URI carrying the key id keeps the playlist
 * self-contained (the license server comes from player configuration) and is what hls.js reads the key
 * id from when KEYID is absent; KEYID states it explicitly.
 */
export function hlsKeyLine(encryption: StreamEncryption): string {
  const kid = Buffer.from(encryption.keyId, 'hex');
  return (
    `#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;base64,${kid.toString('base64')}",` +
    `KEYFORMAT="${HLS_CLEARKEY_KEYFORMAT}",KEYFORMATVERSIONS="1",KEYID=0x${encryption.keyId.toUpperCase()}`
  );
}

/**
 * A VOD media playlist for one fMP4/CMAF rendition. URIs are relative to the playlist's own key,
 * so the same file works behind any origin or prefix. An encrypted rendition gets its EXT-X-KEY
 * before EXT-X-MAP, so it applies to the init segment and every media segment.
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
    ...(track.stream.encryption ? [hlsKeyLine(track.stream.encryption)] : []),
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

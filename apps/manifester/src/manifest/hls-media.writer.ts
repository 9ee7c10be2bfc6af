import { hlsIvAttribute, segmentIv, segmentKeyUri } from '@airlock/crypto';
import type { OutputFact } from '@airlock/contracts';
import { relativeKey, storageKeys } from '@airlock/domain';
import type { StreamEncryption, Track } from './manifest-input';

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
 * What the EXT-X-KEY lines of one encrypted rendition say: the key's URI (the same for every
 * object) and each object's IV, as HLS writes it.
 */
export interface HlsTrackKeys {
  /** `airlock-key://<mediaId>/<keyId>`: the recipient's app answers it; no server hands out the key. */
  uri: string;
  /** IV of the init segment (index -1). */
  initIv: string;
  /** IVs of the media segments, in playlist order (track.segments). */
  segmentIvs: string[];
}

/**
 * The key URI and IVs of a rendition's objects, derived as the worker derived them when it
 * encrypted each object: from the key id, the rendition and the object's segmentIndex.
 * Async only because the derivation is WebCrypto's digest.
 */
export async function hlsTrackKeys(
  mediaId: string,
  encryption: StreamEncryption,
  track: Track,
): Promise<HlsTrackKeys> {
  const ivOf = async (fact: OutputFact) =>
    hlsIvAttribute(
      await segmentIv(
        encryption.keyId,
        track.stream.rendition,
        fact.segmentIndex,
      ),
    );
  return {
    uri: segmentKeyUri(mediaId, encryption.keyId),
    initIv: await ivOf(track.init),
    segmentIvs: await Promise.all(track.segments.map(ivOf)),
  };
}

/**
 * One EXT-X-KEY line: HLS's own whole-object AES-128-CBC, which native players decrypt without
 * EME. The IV is always explicit: the objects' IVs are not the media sequence numbers HLS
 * would otherwise assume, and the init segment's key tag must carry one.
 */
export function hlsKeyLine(uri: string, iv: string): string {
  return `#EXT-X-KEY:METHOD=AES-128,URI="${uri}",IV=${iv}`;
}

/**
 * A VOD media playlist for one fMP4/CMAF rendition. URIs are relative to the playlist's own key,
 * so the same file works behind any origin or prefix. An encrypted rendition states a key tag
 * before EXT-X-MAP (the init segment is encrypted too) and another before every segment,
 * each with that object's IV; `keys` comes from hlsTrackKeys.
 */
export function writeHlsMediaPlaylist(
  mediaId: string,
  version: string,
  track: Track,
  keys?: HlsTrackKeys,
): string {
  const name = track.stream.rendition;
  if (track.stream.encryption && !keys)
    throw new Error(
      `rendition "${name}" is encrypted: its key URI and IVs are needed`,
    );
  if (keys && keys.segmentIvs.length !== track.segments.length)
    throw new Error(
      `rendition "${name}": ${keys.segmentIvs.length} IVs for ${track.segments.length} segments`,
    );
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
    ...(keys ? [hlsKeyLine(keys.uri, keys.initIv)] : []),
    `#EXT-X-MAP:URI="${relativeKey(playlistKey, track.init.key)}"`,
  ];
  track.segments.forEach((seg, i) => {
    if (keys) lines.push(hlsKeyLine(keys.uri, keys.segmentIvs[i]));
    lines.push(
      `#EXTINF:${formatSeconds(seg.duration, track.timescale)},`,
      relativeKey(playlistKey, seg.key),
    );
  });
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

import { relativeKey, storageKeys } from '@airlock/domain';
import type { Track, ValidatedPresentation } from './manifest-input';
import { hlsMediaKey } from './hls-media.writer';

export const HLS_AUDIO_GROUP = 'audio';

/** FRAME-RATE with three decimals, or undefined when the stream carries no frame rate. */
function frameRate(track: Track): string | undefined {
  const fps = track.stream.fps;
  return fps ? (fps.num / fps.den).toFixed(3) : undefined;
}

/**
 * The multivariant playlist: one audio group (when there is audio) and one variant per video
 * rendition, lowest bandwidth first. Without video, the audio playlist is the only variant.
 */
export function writeHlsMaster(presentation: ValidatedPresentation): string {
  const { mediaId, version, video, audio } = presentation;
  const masterKey = storageKeys.hlsMaster(mediaId, version);
  const uriOf = (track: Track) =>
    relativeKey(masterKey, hlsMediaKey(mediaId, version, track));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];

  if (video.length === 0) {
    if (audio) {
      lines.push(
        `#EXT-X-STREAM-INF:BANDWIDTH=${audio.peakBitrate},AVERAGE-BANDWIDTH=${audio.averageBitrate},` +
          `CODECS="${audio.stream.codecs}"`,
        uriOf(audio),
      );
    }
    return `${lines.join('\n')}\n`;
  }

  if (audio) {
    const attrs = [
      'TYPE=AUDIO',
      `GROUP-ID="${HLS_AUDIO_GROUP}"`,
      `NAME="${audio.stream.rendition}"`,
      'DEFAULT=YES',
      'AUTOSELECT=YES',
    ];
    if (audio.stream.channels)
      attrs.push(`CHANNELS="${audio.stream.channels}"`);
    attrs.push(`URI="${uriOf(audio)}"`);
    lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
  }

  for (const track of video) {
    const attrs = [
      `BANDWIDTH=${track.peakBitrate + (audio?.peakBitrate ?? 0)}`,
      `AVERAGE-BANDWIDTH=${track.averageBitrate + (audio?.averageBitrate ?? 0)}`,
      `RESOLUTION=${track.stream.width ?? 0}x${track.stream.height ?? 0}`,
      `CODECS="${audio ? `${track.stream.codecs},${audio.stream.codecs}` : track.stream.codecs}"`,
    ];
    const fps = frameRate(track);
    if (fps) attrs.push(`FRAME-RATE=${fps}`);
    if (audio) attrs.push(`AUDIO="${HLS_AUDIO_GROUP}"`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, uriOf(track));
  }
  return `${lines.join('\n')}\n`;
}

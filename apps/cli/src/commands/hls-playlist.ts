/**
 * Just enough HLS parsing for the recipient's download: pick the best video variant and its
 * audio rendition from a multivariant playlist, and list a media playlist's init segment and
 * segments. URIs are resolved against the playlist's own URL.
 */

export interface VariantChoice {
  /** The chosen variant's media playlist. */
  readonly videoUrl: string;
  /** The audio rendition of the variant's audio group, when there is one. */
  readonly audioUrl?: string;
  readonly resolution?: string;
  readonly bandwidth: number;
}

export interface MediaPlaylist {
  readonly initUrl: string;
  readonly segmentUrls: string[];
}

/** Attributes of an HLS tag line (`KEY=value,KEY="quoted, value"`). */
export function parseAttributes(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)(?:,|$)/g;
  for (const m of list.matchAll(re)) {
    const value = m[2];
    out[m[1]] = value.startsWith('"') ? value.slice(1, -1) : value;
  }
  return out;
}

function lines(text: string): string[] {
  const all = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (all[0] !== '#EXTM3U') throw new Error('not an HLS playlist');
  return all;
}

const pixels = (resolution: string | undefined): number => {
  const m = /^(\d+)x(\d+)$/.exec(resolution ?? '');
  return m ? Number(m[1]) * Number(m[2]) : 0;
};

/** The highest variant (most pixels, then highest bandwidth) and the audio of its group. */
export function chooseVariant(master: string, masterUrl: string): VariantChoice {
  const all = lines(master);
  const audio: { group: string; url: string; isDefault: boolean }[] = [];
  const variants: { attrs: Record<string, string>; url: string }[] = [];
  for (let i = 0; i < all.length; i++) {
    const line = all[i];
    if (line.startsWith('#EXT-X-MEDIA:')) {
      const a = parseAttributes(line.slice('#EXT-X-MEDIA:'.length));
      if (a['TYPE'] === 'AUDIO' && a['URI']) audio.push({ group: a['GROUP-ID'] ?? '', url: new URL(a['URI'], masterUrl).href, isDefault: a['DEFAULT'] === 'YES' });
    } else if (line.startsWith('#EXT-X-STREAM-INF:')) {
      const uri = all[i + 1];
      if (!uri || uri.startsWith('#')) throw new Error('EXT-X-STREAM-INF without a URI');
      variants.push({ attrs: parseAttributes(line.slice('#EXT-X-STREAM-INF:'.length)), url: new URL(uri, masterUrl).href });
      i++;
    }
  }
  if (variants.length === 0) throw new Error('the HLS master lists no variant');
  const best = variants.reduce((a, b) => {
    const byPixels = pixels(b.attrs['RESOLUTION']) - pixels(a.attrs['RESOLUTION']);
    if (byPixels !== 0) return byPixels > 0 ? b : a;
    return Number(b.attrs['BANDWIDTH'] ?? 0) > Number(a.attrs['BANDWIDTH'] ?? 0) ? b : a;
  });
  const group = best.attrs['AUDIO'];
  const inGroup = group === undefined ? [] : audio.filter((a) => a.group === group);
  const chosenAudio = inGroup.find((a) => a.isDefault) ?? inGroup[0];
  return { videoUrl: best.url, audioUrl: chosenAudio?.url, resolution: best.attrs['RESOLUTION'], bandwidth: Number(best.attrs['BANDWIDTH'] ?? 0) };
}

/** The init segment and segments of an fMP4 media playlist (whole-object segments only). */
export function parseMediaPlaylist(text: string, playlistUrl: string): MediaPlaylist {
  let initUrl: string | undefined;
  const segmentUrls: string[] = [];
  for (const line of lines(text)) {
    if (line.startsWith('#EXT-X-MAP:')) {
      const a = parseAttributes(line.slice('#EXT-X-MAP:'.length));
      if (a['BYTERANGE']) throw new Error('byte-range init segments are not supported');
      if (initUrl) throw new Error('more than one EXT-X-MAP is not supported');
      if (!a['URI']) throw new Error('EXT-X-MAP without a URI');
      initUrl = new URL(a['URI'], playlistUrl).href;
    } else if (line.startsWith('#EXT-X-BYTERANGE')) {
      throw new Error('byte-range segments are not supported');
    } else if (!line.startsWith('#')) {
      segmentUrls.push(new URL(line, playlistUrl).href);
    }
  }
  if (!initUrl) throw new Error('the media playlist has no EXT-X-MAP (not fMP4)');
  if (segmentUrls.length === 0) throw new Error('the media playlist lists no segment');
  return { initUrl, segmentUrls };
}

/**
 * Renditions are named by the publisher ('240p', '720p', '1080p_hdr', 'audio'): the name is the
 * HLS media playlist's file name (`…/<name>.m3u8`), the DASH Representation id and the folder
 * of every segment (`seg/<media>/<name>/…`). Two rungs can share a height (1080p and 1080p_hdr),
 * so the name, not the height, identifies a rung; a height is the fallback for manifests from
 * elsewhere.
 */

/** The rendition a HLS media playlist URL names (`…/360p.m3u8` -> '360p'), or undefined. */
export function renditionOfPlaylistUrl(url: string): string | undefined {
  const m = /\/([A-Za-z0-9_-]+)\.m3u8$/.exec(url.split(/[?#]/)[0]);
  return m ? m[1] : undefined;
}

/** A rung as a player lists it: its name when known, and its height. */
export interface Rung {
  readonly name?: string;
  readonly height?: number;
}

/** The name an app sees for a rung: its own name, else `<height>p`, else `#<index>`. */
export function rungName(rung: Rung, index: number): string {
  return rung.name ?? (rung.height ? `${rung.height}p` : `#${index}`);
}

/**
 * The index of the rung `wanted` names, among `rungs`: by name first, then (for a `<n>p` name
 * with no rung of that name) the first rung `n` pixels high; -1 when none.
 */
export function findRung(rungs: readonly Rung[], wanted: string): number {
  const byName = rungs.findIndex((r, i) => rungName(r, i) === wanted);
  if (byName >= 0) return byName;
  const height = /^(\d+)p$/.exec(wanted);
  return height ? rungs.findIndex((r) => r.height === Number(height[1])) : -1;
}

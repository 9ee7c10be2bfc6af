/** One init (index -1) or media segment of a rendition. */
export interface SegmentPlace {
  rendition: string;
  index: number;
}

/**
 * What a player did not load of what it should have: for each rendition named in `expected`, its
 * init segment and every media segment 0..count-1, as "<rendition>/init" and "<rendition>/<index>".
 * Empty when every one was loaded at least once.
 */
export function missingSegments(
  loaded: readonly SegmentPlace[],
  expected: Readonly<Record<string, number>>,
): string[] {
  const seen = new Set(loaded.map((s) => `${s.rendition}/${s.index}`));
  const missing: string[] = [];
  for (const [rendition, count] of Object.entries(expected)) {
    for (let index = -1; index < count; index++) {
      if (!seen.has(`${rendition}/${index}`))
        missing.push(`${rendition}/${index < 0 ? 'init' : index}`);
    }
  }
  return missing;
}

/** Renditions the player loaded any segment of, other than those listed, sorted. */
export function otherRenditionsLoaded(
  loaded: readonly SegmentPlace[],
  allowed: readonly string[],
): string[] {
  return [...new Set(loaded.map((s) => s.rendition))]
    .filter((r) => !allowed.includes(r))
    .sort();
}

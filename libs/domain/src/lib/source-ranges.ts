/** Where a source's bytes are, as the probe found them (contracts' byteMapSchema). */
export interface ByteMap {
  /** Top-level boxes but the media data, and each mdat's header: [start, end). */
  readonly header: readonly (readonly [number, number])[];
  /** Each keyframe of the first video stream: [seconds on the container's timeline, byte position]. */
  readonly keyframes: readonly (readonly [number, number])[];
  readonly videoEnd: number;
}

/**
 * The plaintext source bytes one segment needs, from the probe's byte map: the container's
 * header boxes, and the samples from the keyframe its decode starts at through the whole GOP
 * after its end (the decoder's reorder delay may read past the last frame). Merged, sorted
 * [start, end) ranges; a task fetches only the sealed chunks that hold them.
 */
export function segmentByteRanges(map: ByteMap, startSec: number, endSec: number): [number, number][] {
  const eps = 1e-6;
  const from = [...map.keyframes].reverse().find(([t]) => t <= startSec + eps)?.[1] ?? map.keyframes[0]?.[1] ?? 0;
  const after = map.keyframes.filter(([t]) => t >= endSec - eps);
  const to = after[1]?.[1] ?? map.videoEnd;
  return mergeRanges([...map.header, [Math.min(from, to), Math.max(from, to)]]);
}

export function mergeRanges(ranges: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = ranges
    .filter(([s, e]) => e > s)
    .map(([s, e]) => [s, e] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  return out;
}

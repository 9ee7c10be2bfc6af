import { open } from 'node:fs/promises';
import type { ByteMap } from '@airlock/domain';

/**
 * Where a source's bytes are, so a task can fetch only what its segment needs (ranged reads of
 * the sealed source) instead of the whole file. ISO BMFF only: the container's index (moov, or
 * the fragments' moofs) tells the demuxer where each sample is, so a file holding just those
 * boxes and the segment's samples, zeros elsewhere, demuxes that segment exactly as the whole
 * file would.
 */
export type SourceByteMap = ByteMap;

export interface PacketIndex {
  /** Keyframe pts as ffprobe printed them (not rebased). */
  readonly keyframeTimes: number[];
  /** Keyframes with a byte position: [pts, pos]. */
  readonly keyframes: [number, number][];
  readonly videoEnd: number;
  /** Every packet had a position (false for containers ffprobe cannot place). */
  readonly positioned: boolean;
}

const MDAT_HEADER_BYTES = 16;

/** Reads ffprobe's `-show_entries packet=pts_time,size,pos,flags -of compact=p=0` lines. */
export function parsePacketIndex(text: string): PacketIndex {
  const keyframeTimes: number[] = [];
  const keyframes: [number, number][] = [];
  let videoEnd = 0;
  let positioned = true;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = new Map(line.trim().split('|').map((kv) => kv.split('=') as [string, string]));
    const pts = Number(fields.get('pts_time'));
    const pos = Number(fields.get('pos'));
    const size = Number(fields.get('size'));
    if (Number.isFinite(pos) && Number.isFinite(size)) videoEnd = Math.max(videoEnd, pos + size);
    else positioned = false;
    if (!Number.isFinite(pts) || !(fields.get('flags') ?? '').includes('K')) continue;
    keyframeTimes.push(pts);
    if (Number.isFinite(pos)) keyframes.push([pts, pos]);
  }
  return { keyframeTimes, keyframes, videoEnd, positioned };
}

/** The top-level boxes of an ISO BMFF file, read box header by box header (nothing else is read). */
export async function readTopLevelBoxes(path: string): Promise<{ type: string; start: number; end: number }[] | undefined> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const boxes: { type: string; start: number; end: number }[] = [];
    const head = Buffer.alloc(16);
    for (let at = 0; at < size; ) {
      const { bytesRead } = await file.read(head, 0, 16, at);
      if (bytesRead < 8) return undefined;
      let length = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (length === 1) {
        if (bytesRead < 16) return undefined;
        length = Number(head.readBigUInt64BE(8));
      } else if (length === 0) {
        length = size - at;
      }
      if (length < 8 || at + length > size) return undefined;
      boxes.push({ type, start: at, end: at + length });
      at += length;
    }
    return boxes;
  } finally {
    await file.close();
  }
}

/** The byte map of an ISO BMFF file, or undefined when the file or its packets cannot be placed. */
export async function sourceByteMap(path: string, packets: PacketIndex, startSec: number | undefined): Promise<SourceByteMap | undefined> {
  if (!packets.positioned || packets.keyframes.length === 0) return undefined;
  const boxes = await readTopLevelBoxes(path);
  if (!boxes?.some((b) => b.type === 'moov')) return undefined;
  const header = boxes.map((b) => [b.start, b.type === 'mdat' ? Math.min(b.end, b.start + MDAT_HEADER_BYTES) : b.end] as const);
  // On the container's timeline, as keyframeTimes are (pre-roll keyframes stay: a seek may land there).
  const base = startSec ?? 0;
  const keyframes = packets.keyframes.map(([t, pos]) => [Math.round((t - base) * 1e6) / 1e6, pos] as const).sort((a, b) => a[0] - b[0]);
  return { header, keyframes, videoEnd: packets.videoEnd };
}

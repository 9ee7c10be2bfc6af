import { encryptedBlockIndices, readSampleCryptoInfo, type TrackProtection } from '@airlock/media';

/**
 * Test-only ISO-BMFF reading of what the specs check about encrypted outputs: the protection
 * boxes of an init segment (encv/enca > sinf > frma, schm, schi > tenc), the boxes and sample
 * layout of a media segment (moof > traf > trun, senc; mdat), and a cbcs decryption of it, so
 * a spec can compare the stored samples with a clear packaging of the same chunk.
 */

interface Box {
  readonly type: string;
  readonly body: number;
  readonly end: number;
}

function boxes(buf: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) throw new Error(`malformed box at offset ${at}`);
    out.push({ type: buf.toString('latin1', at + 4, at + 8), body: at + header, end: at + size });
    at += size;
  }
  return out;
}

/** Offset where a box's children start (sample entries and full boxes carry fields first). */
function childStart(buf: Buffer, box: Box): number | undefined {
  switch (box.type) {
    case 'moov':
    case 'trak':
    case 'mdia':
    case 'minf':
    case 'stbl':
    case 'sinf':
    case 'schi':
    case 'moof':
    case 'traf':
    case 'mvex':
      return box.body;
    case 'stsd':
      return box.body + 8; // version/flags(4) entry_count(4)
    case 'encv':
      return box.body + 78; // SampleEntry(8) + VisualSampleEntry fields(70)
    case 'enca': {
      const qtVersion = buf.readUInt16BE(box.body + 8);
      return box.body + 28 + (qtVersion === 1 ? 16 : qtVersion === 2 ? 36 : 0);
    }
    default:
      return undefined;
  }
}

/** Every box in the file, depth first, with its path ("moov/trak/.../tenc"). */
export function walkBoxes(buf: Buffer): { path: string; box: Box }[] {
  const out: { path: string; box: Box }[] = [];
  const visit = (list: Box[], prefix: string): void => {
    for (const box of list) {
      const path = prefix ? `${prefix}/${box.type}` : box.type;
      out.push({ path, box });
      const at = childStart(buf, box);
      if (at !== undefined) visit(boxes(buf, at, box.end), path);
    }
  };
  visit(boxes(buf, 0, buf.length), '');
  return out;
}

export function boxTypes(buf: Buffer): string[] {
  return walkBoxes(buf).map((b) => b.box.type);
}

export interface Protection {
  /** encv or enca. */
  readonly sampleEntry: string;
  /** frma: the codec the protection wraps (avc1, mp4a). */
  readonly originalFormat: string;
  /** schm scheme type: cbcs. */
  readonly scheme: string;
  readonly defaultKeyIdHex: string;
  readonly isProtected: boolean;
  readonly perSampleIvSize: number;
  readonly constantIvHex?: string;
  /** tenc version 1 (cbcs/cens): encrypted and clear 16-byte blocks of the pattern (0:0 when absent). */
  readonly cryptByteBlock: number;
  readonly skipByteBlock: number;
}

/** The protection scheme of the (only) track of an init segment, or undefined when it is clear. */
export function readProtection(init: Buffer): Protection | undefined {
  const all = walkBoxes(init);
  const entry = all.find((b) => b.box.type === 'encv' || b.box.type === 'enca');
  const frma = all.find((b) => b.path.endsWith('/sinf/frma'));
  const schm = all.find((b) => b.path.endsWith('/sinf/schm'));
  const tenc = all.find((b) => b.path.endsWith('/sinf/schi/tenc'));
  if (!entry || !frma || !schm || !tenc) return undefined;
  // tenc: version/flags(4) reserved(1) pattern-or-reserved(1) isProtected(1) perSampleIvSize(1) KID(16) [constIvSize(1) constIv]
  const version = init.readUInt8(tenc.box.body);
  const t = tenc.box.body + 4;
  const pattern = version >= 1 ? init.readUInt8(t + 1) : 0;
  const isProtected = init.readUInt8(t + 2) === 1;
  const perSampleIvSize = init.readUInt8(t + 3);
  const defaultKeyIdHex = init.subarray(t + 4, t + 20).toString('hex');
  let constantIvHex: string | undefined;
  if (isProtected && perSampleIvSize === 0) {
    const n = init.readUInt8(t + 20);
    constantIvHex = init.subarray(t + 21, t + 21 + n).toString('hex');
  }
  return {
    sampleEntry: entry.box.type,
    originalFormat: init.toString('latin1', frma.box.body, frma.box.body + 4),
    scheme: init.toString('latin1', schm.box.body + 4, schm.box.body + 8),
    defaultKeyIdHex,
    isProtected,
    perSampleIvSize,
    constantIvHex,
    cryptByteBlock: pattern >> 4,
    skipByteBlock: pattern & 0x0f,
  };
}

/** The payload of the segment's mdat boxes, concatenated. */
export function mdatPayload(segment: Buffer): Buffer {
  return Buffer.concat(
    walkBoxes(segment)
      .filter((b) => b.path === 'mdat')
      .map((b) => segment.subarray(b.box.body, b.box.end)),
  );
}

/**
 * Offsets of every encrypted 16-byte block of the segment, per its protected ranges. The
 * sample layout and block pattern come from libs/media's reader, the one behind decryption.
 */
export function encryptedBlockOffsets(segment: Buffer, p: TrackProtection): number[] {
  const out: number[] = [];
  for (const sample of readSampleCryptoInfo(segment, p)) {
    const ranges = sample.subsamples.length > 0 ? sample.subsamples : [[0, sample.size] as const];
    let at = sample.offset;
    for (const [clear, prot] of ranges) {
      at += clear;
      const start = at;
      out.push(...encryptedBlockIndices(prot, p.cryptByteBlock, p.skipByteBlock).map((b) => start + b * 16));
      at += prot;
    }
  }
  return out;
}

/** Offset of the first mdat payload byte. */
export function mdatStart(segment: Buffer): number {
  const mdat = walkBoxes(segment).find((b) => b.path === 'mdat');
  if (!mdat) throw new Error('no mdat');
  return mdat.box.body;
}

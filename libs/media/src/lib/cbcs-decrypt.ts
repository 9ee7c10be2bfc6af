import { createDecipheriv } from 'node:crypto';
import {
  TFHD_BASE_DATA_OFFSET,
  TFHD_DEFAULT_SAMPLE_DURATION,
  TFHD_SAMPLE_DESCRIPTION_INDEX,
  TRUN_DATA_OFFSET,
  TRUN_FIRST_SAMPLE_FLAGS,
  TRUN_SAMPLE_CTO,
  TRUN_SAMPLE_DURATION,
  TRUN_SAMPLE_FLAGS,
  TRUN_SAMPLE_SIZE,
} from './mp4-boxes';

/**
 * Recipient-side decryption of CMAF fMP4 tracks protected with the `cbcs` scheme (ISO/IEC
 * 23001-7): AES-128-CBC over the 16-byte blocks the pattern selects in each protected range,
 * the CBC chain restarting from the IV at every subsample (constant IV from `tenc`, or a
 * per-sample IV from `senc`).
 *
 * Pure functions on Buffers; inputs are never modified. `clearInitSegment` turns an encrypted
 * init segment into a clear one and `decryptMediaSegment` decrypts the samples of a media
 * segment in a copy and neutralises its encryption boxes, so `init + segments` is a clear
 * fragmented MP4 any demuxer reads. Boxes that only describe the protection are renamed to
 * `free` (same size), which keeps every size and offset in the file valid without rewriting
 * the tree.
 */

export class CbcsDecryptError extends Error {
  override readonly name = 'CbcsDecryptError';
}

/** What the init segment's protection boxes say about its (only) protected track. */
export interface TrackProtection {
  /** `encv` or `enca`. */
  readonly sampleEntry: string;
  /** `frma`: the format the protection wraps (avc1, hvc1, mp4a, ...). */
  readonly originalFormat: string;
  /** `schm` scheme type. Only `cbcs` is decrypted. */
  readonly scheme: string;
  readonly defaultKeyId: Buffer;
  readonly isProtected: boolean;
  /** 0 when a constant IV is used. */
  readonly perSampleIvSize: number;
  readonly constantIv?: Buffer;
  /** Pattern (tenc version 1): encrypted and skipped 16-byte blocks; 0:0 means every whole block. */
  readonly cryptByteBlock: number;
  readonly skipByteBlock: number;
  /** `trex` default sample size, used when neither trun nor tfhd carries sizes. */
  readonly trexDefaultSampleSize: number;
}

interface Box {
  readonly type: string;
  /** Offset of the box header. */
  readonly start: number;
  /** Offset of the payload. */
  readonly body: number;
  /** Offset one past the box. */
  readonly end: number;
}

function children(buf: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 8) throw new CbcsDecryptError(`truncated box header at offset ${at}`);
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (end - at < 16) throw new CbcsDecryptError(`truncated largesize box at offset ${at}`);
      const large = buf.readBigUInt64BE(at + 8);
      if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw new CbcsDecryptError(`box too large at offset ${at}`);
      size = Number(large);
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) throw new CbcsDecryptError(`malformed box at offset ${at}`);
    out.push({ type: buf.toString('latin1', at + 4, at + 8), start: at, body: at + header, end: at + size });
    at += size;
  }
  return out;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'sinf', 'schi', 'moof', 'traf', 'mvex']);

/** Offset where a box's child boxes start, or undefined for leaf boxes. */
function childStart(buf: Buffer, box: Box): number | undefined {
  if (CONTAINERS.has(box.type)) return box.body;
  if (box.type === 'stsd') return box.body + 8; // version/flags, entry_count
  if (box.type === 'encv') return box.body + 78; // SampleEntry(8) + VisualSampleEntry(70)
  if (box.type === 'enca') {
    const qtVersion = buf.readUInt16BE(box.body + 8);
    return box.body + 28 + (qtVersion === 1 ? 16 : qtVersion === 2 ? 36 : 0);
  }
  return undefined;
}

interface Node {
  readonly box: Box;
  readonly path: string;
}

function walk(buf: Buffer): Node[] {
  const out: Node[] = [];
  const visit = (list: Box[], prefix: string): void => {
    for (const box of list) {
      const path = prefix ? `${prefix}/${box.type}` : box.type;
      out.push({ box, path });
      const at = childStart(buf, box);
      if (at !== undefined) visit(children(buf, at, box.end), path);
    }
  };
  visit(children(buf, 0, buf.length), '');
  return out;
}

function fullBoxFlags(buf: Buffer, box: Box): number {
  return buf.readUIntBE(box.body + 1, 3);
}

/** The protection of the init segment's track, or undefined when the track is clear. */
export function readTrackProtection(init: Buffer): TrackProtection | undefined {
  const all = walk(init);
  const entries = all.filter((n) => n.box.type === 'encv' || n.box.type === 'enca');
  if (entries.length === 0) return undefined;
  if (entries.length > 1) throw new CbcsDecryptError('more than one protected sample entry: one track per init segment is supported');
  const [entry] = entries;
  const inEntry = (suffix: string) => all.find((n) => n.path.startsWith(`${entry.path}/`) && n.path.endsWith(suffix));
  const frma = inEntry('/sinf/frma');
  const schm = inEntry('/sinf/schm');
  const tenc = inEntry('/sinf/schi/tenc');
  if (!frma || !schm || !tenc) throw new CbcsDecryptError(`${entry.box.type} without frma, schm and tenc`);
  const b = tenc.box.body;
  if (tenc.box.end - b < 24) throw new CbcsDecryptError('tenc too short');
  const version = init.readUInt8(b);
  const t = b + 4;
  const pattern = version >= 1 ? init.readUInt8(t + 1) : 0;
  const isProtected = init.readUInt8(t + 2) !== 0;
  const perSampleIvSize = init.readUInt8(t + 3);
  const defaultKeyId = Buffer.from(init.subarray(t + 4, t + 20));
  let constantIv: Buffer | undefined;
  if (isProtected && perSampleIvSize === 0) {
    const n = init.readUInt8(t + 20);
    if (t + 21 + n > tenc.box.end) throw new CbcsDecryptError('tenc constant IV overruns the box');
    constantIv = Buffer.from(init.subarray(t + 21, t + 21 + n));
  }
  const trex = all.find((n) => n.path === 'moov/mvex/trex');
  return {
    sampleEntry: entry.box.type,
    originalFormat: init.toString('latin1', frma.box.body, frma.box.body + 4),
    scheme: init.toString('latin1', schm.box.body + 4, schm.box.body + 8),
    defaultKeyId,
    isProtected,
    perSampleIvSize,
    constantIv,
    cryptByteBlock: pattern >> 4,
    skipByteBlock: pattern & 0x0f,
    trexDefaultSampleSize: trex ? init.readUInt32BE(trex.box.body + 16) : 0,
  };
}

function rename(buf: Buffer, box: Box, type: string): void {
  buf.write(type, box.start + 4, 4, 'latin1');
}

/**
 * A clear copy of an encrypted init segment: the `encv`/`enca` sample entry takes back its
 * original format (from `frma`), and `sinf` and `pssh` become `free` boxes of the same size.
 * A clear init segment is returned as a plain copy.
 */
export function clearInitSegment(init: Buffer): Buffer {
  const out = Buffer.from(init);
  const protection = readTrackProtection(init);
  if (!protection) return out;
  for (const node of walk(init)) {
    if (node.box.type === 'encv' || node.box.type === 'enca') rename(out, node.box, protection.originalFormat);
    else if (node.box.type === 'sinf' || (node.box.type === 'pssh' && node.path === 'moov/pssh')) rename(out, node.box, 'free');
  }
  return out;
}

/** One sample of a media segment: where its bytes are, its IV and its [clear, protected] ranges. */
export interface SampleCryptoInfo {
  readonly offset: number;
  readonly size: number;
  readonly iv: Buffer;
  /** [clear bytes, protected bytes] pairs; empty means the whole sample is one protected range. */
  readonly subsamples: readonly (readonly [number, number])[];
}

// tfhd/trun flags shared with the segment reader (mp4-boxes), plus the ones only decryption needs.
const TFHD_DEFAULT_SAMPLE_SIZE = 0x000010;
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
const SENC_USE_SUBSAMPLES = 0x000002;

interface SampleRange {
  readonly offset: number;
  readonly size: number;
}

/** Byte ranges of the samples of one traf, in the order trun lists them. */
function trafSamples(buf: Buffer, traf: Box, moofStart: number, previousEnd: number, trexDefaultSize: number): SampleRange[] {
  const kids = children(buf, traf.body, traf.end);
  const tfhd = kids.find((k) => k.type === 'tfhd');
  if (!tfhd) throw new CbcsDecryptError('traf without tfhd');
  const tfhdFlags = fullBoxFlags(buf, tfhd);
  let at = tfhd.body + 8; // version/flags, track_ID
  let base = tfhdFlags & TFHD_DEFAULT_BASE_IS_MOOF ? moofStart : previousEnd;
  if (tfhdFlags & TFHD_BASE_DATA_OFFSET) {
    base = Number(buf.readBigUInt64BE(at));
    at += 8;
  }
  if (tfhdFlags & TFHD_SAMPLE_DESCRIPTION_INDEX) at += 4;
  if (tfhdFlags & TFHD_DEFAULT_SAMPLE_DURATION) at += 4;
  const defaultSize = tfhdFlags & TFHD_DEFAULT_SAMPLE_SIZE ? buf.readUInt32BE(at) : trexDefaultSize;

  const samples: SampleRange[] = [];
  let offset = base;
  for (const trun of kids.filter((k) => k.type === 'trun')) {
    const flags = fullBoxFlags(buf, trun);
    const count = buf.readUInt32BE(trun.body + 4);
    let p = trun.body + 8;
    if (flags & TRUN_DATA_OFFSET) {
      offset = base + buf.readInt32BE(p);
      p += 4;
    }
    if (flags & TRUN_FIRST_SAMPLE_FLAGS) p += 4;
    const perSample = [TRUN_SAMPLE_DURATION, TRUN_SAMPLE_SIZE, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_CTO].filter((f) => flags & f).length * 4;
    if (p + count * perSample > trun.end) throw new CbcsDecryptError('trun sample table overruns the box');
    for (let i = 0; i < count; i++) {
      let q = p + i * perSample;
      if (flags & TRUN_SAMPLE_DURATION) q += 4;
      const size = flags & TRUN_SAMPLE_SIZE ? buf.readUInt32BE(q) : defaultSize;
      samples.push({ offset, size });
      offset += size;
    }
  }
  return samples;
}

/** Per-sample IVs and subsample maps of one traf (`senc`), zipped with the sample ranges. */
function trafCryptoInfo(buf: Buffer, traf: Box, samples: readonly SampleRange[], p: TrackProtection): SampleCryptoInfo[] {
  const senc = children(buf, traf.body, traf.end).find((k) => k.type === 'senc');
  if (!senc) {
    if (samples.length === 0) return [];
    throw new CbcsDecryptError('encrypted traf without senc (auxiliary information elsewhere is not supported)');
  }
  const flags = fullBoxFlags(buf, senc);
  const count = buf.readUInt32BE(senc.body + 4);
  if (count !== samples.length) throw new CbcsDecryptError(`senc lists ${count} samples, trun ${samples.length}`);
  let s = senc.body + 8;
  const need = (n: number) => {
    if (s + n > senc.end) throw new CbcsDecryptError('senc overruns the box');
  };
  return samples.map((sample) => {
    let iv: Buffer;
    if (p.perSampleIvSize > 0) {
      need(p.perSampleIvSize);
      // An 8-byte IV is the high half of the 16-byte CBC IV.
      iv = Buffer.alloc(16);
      buf.copy(iv, 0, s, s + p.perSampleIvSize);
      s += p.perSampleIvSize;
    } else {
      if (!p.constantIv) throw new CbcsDecryptError('no per-sample IV and no constant IV');
      iv = p.constantIv;
    }
    const subsamples: [number, number][] = [];
    if (flags & SENC_USE_SUBSAMPLES) {
      need(2);
      const n = buf.readUInt16BE(s);
      s += 2;
      need(n * 6);
      for (let k = 0; k < n; k++, s += 6) subsamples.push([buf.readUInt16BE(s), buf.readUInt32BE(s + 2)]);
      const total = subsamples.reduce((sum, [c, e]) => sum + c + e, 0);
      if (total !== sample.size) throw new CbcsDecryptError(`subsamples cover ${total} bytes of a ${sample.size}-byte sample`);
    }
    return { offset: sample.offset, size: sample.size, iv, subsamples };
  });
}

/** Every sample of every fragment in a media segment, with its crypto information. */
export function readSampleCryptoInfo(segment: Buffer, p: TrackProtection): SampleCryptoInfo[] {
  const out: SampleCryptoInfo[] = [];
  for (const moof of children(segment, 0, segment.length).filter((b) => b.type === 'moof')) {
    let previousEnd = moof.start;
    for (const traf of children(segment, moof.body, moof.end).filter((b) => b.type === 'traf')) {
      const samples = trafSamples(segment, traf, moof.start, previousEnd, p.trexDefaultSampleSize);
      if (samples.length > 0) previousEnd = samples[samples.length - 1].offset + samples[samples.length - 1].size;
      out.push(...trafCryptoInfo(segment, traf, samples, p));
    }
  }
  return out;
}

/**
 * Indices of the 16-byte blocks of a protected range that the pattern encrypts: the first
 * `crypt` of every `crypt + skip` blocks; a trailing partial block stays clear. 0:0 (no
 * pattern) and N:0 both mean every whole block.
 */
export function encryptedBlockIndices(protectedBytes: number, crypt: number, skip: number): number[] {
  const blocks = Math.floor(protectedBytes / 16);
  if (crypt === 0 || skip === 0) return Array.from({ length: blocks }, (_, i) => i);
  const out: number[] = [];
  for (let i = 0; i < blocks; i += crypt + skip) for (let k = i; k < Math.min(i + crypt, blocks); k++) out.push(k);
  return out;
}

function decryptRange(out: Buffer, start: number, length: number, key: Buffer, iv: Buffer, p: TrackProtection): void {
  const blocks = encryptedBlockIndices(length, p.cryptByteBlock, p.skipByteBlock);
  if (blocks.length === 0) return;
  const decipher = createDecipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  if (p.skipByteBlock === 0 || p.cryptByteBlock === 0) {
    // Contiguous: one call over the whole-block prefix of the range.
    const end = start + blocks.length * 16;
    const plain = Buffer.concat([decipher.update(out.subarray(start, end)), decipher.final()]);
    plain.copy(out, start);
    return;
  }
  // The CBC chain runs through the encrypted blocks only, skipping the clear ones.
  const cipher = Buffer.concat(blocks.map((b) => out.subarray(start + b * 16, start + b * 16 + 16)));
  const plain = Buffer.concat([decipher.update(cipher), decipher.final()]);
  blocks.forEach((b, i) => plain.copy(out, start + b * 16, i * 16, i * 16 + 16));
}

/**
 * A copy of a cbcs media segment with every sample decrypted and its `senc`, `saiz` and `saio`
 * boxes renamed `free`, so that it reads as clear behind `clearInitSegment(init)`.
 * Throws CbcsDecryptError on anything it cannot decrypt faithfully (other schemes, a key of the
 * wrong size, sample data outside the segment, inconsistent senc). A wrong key cannot be
 * detected here: it yields garbage samples.
 */
export function decryptMediaSegment(segment: Buffer, p: TrackProtection, key: Buffer): Buffer {
  if (p.scheme !== 'cbcs') throw new CbcsDecryptError(`unsupported protection scheme ${p.scheme}`);
  if (key.length !== 16) throw new CbcsDecryptError('an AES-128 key is 16 bytes');
  if (p.constantIv && p.constantIv.length !== 16 && p.perSampleIvSize === 0) throw new CbcsDecryptError('cbcs constant IV must be 16 bytes');
  const out = Buffer.from(segment);
  if (p.isProtected) {
    for (const sample of readSampleCryptoInfo(segment, p)) {
      if (sample.offset < 0 || sample.offset + sample.size > segment.length) throw new CbcsDecryptError('sample data lies outside the segment');
      const ranges = sample.subsamples.length > 0 ? sample.subsamples : [[0, sample.size] as const];
      let at = sample.offset;
      for (const [clear, prot] of ranges) {
        at += clear;
        decryptRange(out, at, prot, key, sample.iv, p);
        at += prot;
      }
    }
  }
  for (const node of walk(segment)) {
    if (node.path.startsWith('moof/traf/') && ['senc', 'saiz', 'saio'].includes(node.box.type)) rename(out, node.box, 'free');
  }
  return out;
}

/** Convenience: checks that the key id matches the track's default KID, then decrypts. */
export function decryptCbcsTrack(init: Buffer, segments: readonly Buffer[], keyIdHex: string, keyHex: string): { init: Buffer; segments: Buffer[] } {
  const p = readTrackProtection(init);
  if (!p) return { init: Buffer.from(init), segments: segments.map((s) => Buffer.from(s)) };
  const wanted = keyIdHex.toLowerCase().replace(/-/g, '');
  if (p.defaultKeyId.toString('hex') !== wanted) throw new CbcsDecryptError(`track is encrypted with key id ${p.defaultKeyId.toString('hex')}, not ${wanted}`);
  const key = Buffer.from(keyHex, 'hex');
  try {
    return { init: clearInitSegment(init), segments: segments.map((s) => decryptMediaSegment(s, p, key)) };
  } finally {
    key.fill(0);
  }
}

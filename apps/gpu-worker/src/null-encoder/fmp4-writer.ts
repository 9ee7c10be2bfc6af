import { listBoxes, Mp4Box } from '@airlock/media';

/**
 * Just enough ISO-BMFF writing for the null encoder: split an FFmpeg fragmented MP4 into its
 * init part and samples, retime the init (mdhd timescale), and write one fragment (moof + mdat)
 * of N copies of a sample with a chosen tfdt and sample duration. Readers for the facts the
 * pipeline checks live in @airlock/media (mp4-boxes.ts).
 */

function child(buf: Buffer, parent: Mp4Box, type: string): Mp4Box {
  const found = listBoxes(buf, parent.body, parent.end).find((b) => b.type === type);
  if (!found) throw new Error(`null encoder: no '${type}' in '${parent.type}'`);
  return found;
}

export function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

function fullBox(type: string, version: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt8(version, 0);
  head.writeUIntBE(flags, 1, 3);
  return box(type, head, payload);
}

export interface Fmp4Template {
  /** ftyp + moov, as FFmpeg wrote them. */
  readonly init: Buffer;
  readonly trackId: number;
  /** Every sample of the first track, in decode order. */
  readonly samples: Buffer[];
}

/** ftyp + moov, and the samples of the fragments that follow (tfhd defaults and trun per-sample sizes). */
export function splitFragmented(buf: Buffer): Fmp4Template {
  const top = listBoxes(buf);
  const moov = top.find((b) => b.type === 'moov');
  if (!moov) throw new Error('null encoder: no moov');
  const initEnd = Math.max(...top.filter((b) => b.type === 'ftyp' || b.type === 'moov').map((b) => b.end));
  const samples: Buffer[] = [];
  let trackId = 0;
  for (const moof of top.filter((b) => b.type === 'moof')) {
    const traf = child(buf, moof, 'traf');
    const tfhd = child(buf, traf, 'tfhd');
    const tfhdFlags = buf.readUIntBE(tfhd.body + 1, 3);
    trackId = buf.readUInt32BE(tfhd.body + 4);
    let at = tfhd.body + 8;
    const base = tfhdFlags & 0x1 ? Number(buf.readBigUInt64BE(at)) : moof.start;
    if (tfhdFlags & 0x1) at += 8;
    if (tfhdFlags & 0x2) at += 4;
    if (tfhdFlags & 0x8) at += 4;
    const defaultSize = tfhdFlags & 0x10 ? buf.readUInt32BE(at) : 0;
    for (const trun of listBoxes(buf, traf.body, traf.end).filter((b) => b.type === 'trun')) {
      const flags = buf.readUIntBE(trun.body + 1, 3);
      const count = buf.readUInt32BE(trun.body + 4);
      let p = trun.body + 8;
      const dataOffset = flags & 0x1 ? buf.readInt32BE(p) : 0;
      if (flags & 0x1) p += 4;
      if (flags & 0x4) p += 4;
      let offset = base + dataOffset;
      for (let i = 0; i < count; i++) {
        if (flags & 0x100) p += 4;
        const size = flags & 0x200 ? buf.readUInt32BE(p) : defaultSize;
        if (flags & 0x200) p += 4;
        if (flags & 0x400) p += 4;
        if (flags & 0x800) p += 4;
        samples.push(Buffer.from(buf.subarray(offset, offset + size)));
        offset += size;
      }
    }
  }
  if (samples.length === 0) throw new Error('null encoder: the template has no samples');
  return { init: Buffer.from(buf.subarray(0, initEnd)), trackId, samples };
}

/** A copy of an init segment with the track's mdhd timescale replaced (durations in the moov are 0: empty_moov). */
export function withTimescale(init: Buffer, timescale: number): Buffer {
  const out = Buffer.from(init);
  const moov = listBoxes(out).find((b) => b.type === 'moov');
  if (!moov) throw new Error('null encoder: no moov');
  const mdhd = child(out, child(out, child(out, moov, 'trak'), 'mdia'), 'mdhd');
  const version = out.readUInt8(mdhd.body);
  out.writeUInt32BE(timescale, mdhd.body + 4 + (version === 1 ? 16 : 8));
  return out;
}

/**
 * Length-prefixed NAL units with SEI dropped: x264/x265 put their version banner in an SEI,
 * which a copied sample need not carry N times.
 */
export function withoutSei(sample: Buffer, codec: 'h264' | 'hevc'): Buffer {
  const kept: Buffer[] = [];
  for (let at = 0; at + 4 <= sample.length; ) {
    const size = sample.readUInt32BE(at);
    const nal = sample.subarray(at, at + 4 + size);
    const header = sample.readUInt8(at + 4);
    const type = codec === 'h264' ? header & 0x1f : (header >> 1) & 0x3f;
    const sei = codec === 'h264' ? type === 6 : type === 39 || type === 40;
    if (!sei) kept.push(nal);
    at += 4 + size;
  }
  return Buffer.concat(kept);
}

/** sample_depends_on = 2 (an I frame, depends on nothing), is_non_sync = 0. */
const SYNC_SAMPLE_FLAGS = 0x02000000;

export interface FragmentSpec {
  readonly trackId: number;
  readonly sequence: number;
  readonly baseDecodeTime: number;
  readonly sampleDuration: number;
  readonly sampleCount: number;
  readonly sample: Buffer;
}

/** One moof + mdat: sampleCount copies of one sync sample from baseDecodeTime, each sampleDuration long. */
export function fragment(f: FragmentSpec): Buffer {
  const mfhd = fullBox('mfhd', 0, 0, u32(f.sequence));
  // default-base-is-moof: data offsets count from the moof's first byte.
  const tfhd = fullBox('tfhd', 0, 0x020000, u32(f.trackId));
  const tfdt = fullBox('tfdt', 1, 0, u64(f.baseDecodeTime));
  const entries = Buffer.alloc(f.sampleCount * 12);
  for (let i = 0; i < f.sampleCount; i++) {
    entries.writeUInt32BE(f.sampleDuration, i * 12);
    entries.writeUInt32BE(f.sample.length, i * 12 + 4);
    entries.writeUInt32BE(SYNC_SAMPLE_FLAGS, i * 12 + 8);
  }
  const trunSize = 8 + 4 + 4 + 4 + entries.length;
  const moofSize = 8 + mfhd.length + 8 + tfhd.length + tfdt.length + trunSize;
  const trun = fullBox('trun', 0, 0x000001 | 0x000100 | 0x000200 | 0x000400, Buffer.concat([u32(f.sampleCount), i32(moofSize + 8), entries]));
  const moof = box('moof', mfhd, box('traf', tfhd, tfdt, trun));
  if (moof.length !== moofSize) throw new Error('null encoder: moof size mismatch');
  const mdat = box('mdat', ...Array.from({ length: f.sampleCount }, () => f.sample));
  return Buffer.concat([moof, mdat]);
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

function u64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(v));
  return b;
}

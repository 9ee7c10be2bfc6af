/**
 * Byte builders for synthetic ISO-BMFF boxes, so mp4-boxes can be tested on exactly the
 * layouts that matter (v0/v1 boxes, trun with and without per-sample durations, several
 * fragments) without media files. Layouts follow ISO/IEC 14496-12.
 */

export function u8(v: number): Buffer {
  return Buffer.from([v & 0xff]);
}
export function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}
export function u64(v: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(v));
  return b;
}
export function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

export function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
}

export function fullBox(type: string, version: number, flags: number, ...payload: Buffer[]): Buffer {
  return box(type, u8(version), u8(flags >> 16), u16(flags & 0xffff), ...payload);
}

export function tkhd(o: { version?: 0 | 1; trackId: number; width: number; height: number }): Buffer {
  const times = o.version === 1 ? [u64(0), u64(0), u32(o.trackId), zeros(4), u64(0)] : [u32(0), u32(0), u32(o.trackId), zeros(4), u32(0)];
  return fullBox('tkhd', o.version ?? 0, 7, ...times, zeros(8), zeros(8), zeros(36), u32(o.width * 65536), u32(o.height * 65536));
}

export function mdhd(o: { version?: 0 | 1; timescale: number }): Buffer {
  const body = o.version === 1 ? [u64(0), u64(0), u32(o.timescale), u64(0)] : [u32(0), u32(0), u32(o.timescale), u32(0)];
  return fullBox('mdhd', o.version ?? 0, 0, ...body, u16(0x55c4), u16(0));
}

export function hdlr(handler: string): Buffer {
  return fullBox('hdlr', 0, 0, u32(0), Buffer.from(handler, 'latin1'), zeros(12), Buffer.from('Handler\0', 'latin1'));
}

export function visualEntry(type: string, width: number, height: number, ...children: Buffer[]): Buffer {
  return box(
    type,
    zeros(6),
    u16(1),
    zeros(16),
    u16(width),
    u16(height),
    u32(0x00480000),
    u32(0x00480000),
    zeros(4),
    u16(1),
    zeros(32),
    u16(0x18),
    u16(0xffff),
    ...children,
  );
}

export function audioEntry(type: string, channels: number, sampleRate: number, ...children: Buffer[]): Buffer {
  return box(type, zeros(6), u16(1), zeros(8), u16(channels), u16(16), zeros(4), u32(sampleRate * 65536), ...children);
}

export function avcC(profile: number, compat: number, level: number): Buffer {
  return box('avcC', Buffer.from([1, profile, compat, level, 0xff, 0xe0, 0x00]));
}

/** hvcC with the fields the codecs string needs; parameter set arrays left empty. */
export function hvcC(o: { profileSpace?: number; tier?: 0 | 1; profileIdc: number; compat: number; constraints: number[]; level: number }): Buffer {
  const first = ((o.profileSpace ?? 0) << 6) | ((o.tier ?? 0) << 5) | o.profileIdc;
  const constraints = Buffer.alloc(6);
  o.constraints.forEach((c, i) => constraints.writeUInt8(c, i));
  return box('hvcC', u8(1), u8(first), u32(o.compat), constraints, u8(o.level), zeros(9), u8(0));
}

/** esds with an AAC DecoderSpecificInfo (AudioSpecificConfig bytes given raw). */
export function esds(objectType: number, asc: number[]): Buffer {
  const dsi = Buffer.concat([u8(0x05), u8(asc.length), Buffer.from(asc)]);
  const dcdBody = Buffer.concat([u8(objectType), u8(0x15), zeros(3), u32(128000), u32(128000), dsi]);
  const dcd = Buffer.concat([u8(0x04), u8(dcdBody.length), dcdBody]);
  const sl = Buffer.from([0x06, 0x01, 0x02]);
  // ES_Descriptor with a 4-byte "expandable" size, as many muxers write it.
  const esBody = Buffer.concat([u16(1), u8(0), dcd, sl]);
  const size = esBody.length;
  const es = Buffer.concat([u8(0x03), Buffer.from([0x80, 0x80, 0x80, size]), esBody]);
  return fullBox('esds', 0, 0, es);
}

export function initSegment(o: {
  trackId?: number;
  timescale: number;
  handler: 'vide' | 'soun';
  entry: Buffer;
  tkhdSize?: { width: number; height: number };
  mehd?: { version: 0 | 1; duration: number };
  version?: 0 | 1;
}): Buffer {
  const stbl = box('stbl', fullBox('stsd', 0, 0, u32(1), o.entry), fullBox('stts', 0, 0, u32(0)));
  const minf = box('minf', box('dinf'), stbl);
  const mdia = box('mdia', mdhd({ timescale: o.timescale, version: o.version }), hdlr(o.handler), minf);
  const size = o.tkhdSize ?? { width: 0, height: 0 };
  const trak = box('trak', tkhd({ trackId: o.trackId ?? 1, version: o.version, ...size }), mdia);
  const mehd = o.mehd ? [fullBox('mehd', o.mehd.version, 0, o.mehd.version === 1 ? u64(o.mehd.duration) : u32(o.mehd.duration))] : [];
  const mvex = box('mvex', ...mehd, fullBox('trex', 0, 0, u32(o.trackId ?? 1), u32(1), u32(0), u32(0), u32(0)));
  return Buffer.concat([box('ftyp', Buffer.from('iso6', 'latin1'), u32(0)), box('moov', fullBox('mvhd', 0, 0, zeros(96)), trak, mvex)]);
}

export interface TrafSpec {
  trackId?: number;
  tfdtVersion?: 0 | 1;
  baseDecodeTime: number | bigint;
  defaultDuration?: number;
  /** Per-sample durations written into trun; when absent, `count` samples use the tfhd default. */
  durations?: number[];
  count?: number;
}

export function traf(t: TrafSpec): Buffer {
  const tfhdFlags = 0x020000 | (t.defaultDuration !== undefined ? 0x08 : 0);
  const tfhd = fullBox('tfhd', 0, tfhdFlags, u32(t.trackId ?? 1), ...(t.defaultDuration !== undefined ? [u32(t.defaultDuration)] : []));
  const tfdt = t.tfdtVersion === 1 ? fullBox('tfdt', 1, 0, u64(t.baseDecodeTime)) : fullBox('tfdt', 0, 0, u32(Number(t.baseDecodeTime)));
  const samples = t.durations ?? [];
  const count = t.durations ? samples.length : (t.count ?? 0);
  // data offset + sample size always present; sample duration only when durations are given.
  const trunFlags = 0x001 | 0x200 | (t.durations ? 0x100 : 0);
  const perSample = Array.from({ length: count }, (_, i) => Buffer.concat([...(t.durations ? [u32(samples[i])] : []), u32(100)]));
  const trun = fullBox('trun', 0, trunFlags, u32(count), u32(0), ...perSample);
  return box('traf', tfhd, tfdt, trun);
}

export function fragment(seq: number, ...trafs: TrafSpec[]): Buffer {
  return Buffer.concat([box('moof', fullBox('mfhd', 0, 0, u32(seq)), ...trafs.map(traf)), box('mdat', zeros(16))]);
}

export function mediaSegment(...fragments: Buffer[]): Buffer {
  return Buffer.concat([box('styp', Buffer.from('msdh', 'latin1'), u32(0)), ...fragments]);
}

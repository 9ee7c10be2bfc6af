/**
 * A small, pure ISO-BMFF (fMP4) reader: just enough to describe the init and media
 * segments workers produce (timescale, codecs string, size, tfdt, durations) without
 * spawning ffprobe for every object, and to normalise the one field that makes init
 * segments of different chunks differ (mehd).
 *
 * Boxes are walked only inside the containers we need; anything malformed throws
 * Mp4FormatError rather than returning half-read facts.
 */

export class Mp4FormatError extends Error {
  override readonly name = 'Mp4FormatError';
}

export interface InitFacts {
  /** mdhd timescale of the first track: the unit of tfdt and sample durations. */
  readonly timescale: number;
  /** RFC 6381 codecs string, e.g. avc1.64001f, hvc1.2.4.L120.B0, mp4a.40.2. */
  readonly codecs: string;
  /** Display size (tkhd) or, when that is zero, the coded size from the visual sample entry. Absent for audio. */
  readonly width?: number;
  readonly height?: number;
  readonly trackId: number;
  /** Handler type of the track: 'vide', 'soun', ... */
  readonly handler: string;
  /** From the audio sample entry (and AudioSpecificConfig when present). Absent for video. */
  readonly sampleRate?: number;
  readonly channels?: number;
  /** `encv`/`enca` when the track itself is protected (ISO/IEC 23001-7 sample encryption); absent on a clear track. */
  readonly protectedEntry?: string;
}

export interface SegmentFacts {
  /** tfdt of the first track fragment, in timescale units. */
  readonly baseDecodeTime: number;
  /** Sum of the sample durations of every fragment of that track in the buffer, in timescale units. */
  readonly duration: number;
  readonly sampleCount: number;
}

interface Box {
  readonly type: string;
  /** Offset of the box header. */
  readonly start: number;
  /** Offset of the payload (after size/type/largesize). */
  readonly body: number;
  /** Offset one past the box. */
  readonly end: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Lists the boxes in buf[start, end) (the whole buffer by default), validating that each fits
 * its parent and that together they fill it: a truncated or padded object throws.
 */
export type Mp4Box = Box;

export function listBoxes(buf: Buffer, start = 0, end = buf.length): Mp4Box[] {
  return childBoxes(buf, start, end);
}

function childBoxes(buf: Buffer, start: number, end: number, parent = 'file'): Box[] {
  const boxes: Box[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 8) throw new Mp4FormatError(`${end - at} trailing bytes in ${parent} at offset ${at} (too short for a box header)`);
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (!/^[\x20-\x7e]{4}$/.test(type)) throw new Mp4FormatError(`invalid box type at offset ${at} in ${parent}`);
    let header = 8;
    if (size === 1) {
      if (end - at < 16) throw new Mp4FormatError(`box '${type}' at offset ${at} is cut off inside its 64-bit size`);
      const large = buf.readBigUInt64BE(at + 8);
      if (large > MAX_SAFE) throw new Mp4FormatError(`box '${type}' at offset ${at} is implausibly large`);
      size = Number(large);
      header = 16;
    } else if (size === 0) {
      size = end - at; // "extends to the end of the file"
    }
    if (size < header) throw new Mp4FormatError(`box '${type}' at offset ${at} has invalid size ${size}`);
    if (at + size > end) {
      throw new Mp4FormatError(`box '${type}' at offset ${at} (size ${size}) runs past the end of ${parent}`);
    }
    boxes.push({ type, start: at, body: at + header, end: at + size });
    at += size;
  }
  return boxes;
}

function children(buf: Buffer, box: Box): Box[] {
  return childBoxes(buf, box.body, box.end, `'${box.type}'`);
}

function find(boxes: readonly Box[], type: string): Box | undefined {
  return boxes.find((b) => b.type === type);
}

function need(boxes: readonly Box[], type: string, parent: string): Box {
  const box = find(boxes, type);
  if (!box) throw new Mp4FormatError(`no '${type}' box in ${parent}`);
  return box;
}

function needBytes(box: Box, offset: number, count: number): void {
  if (offset + count > box.end) throw new Mp4FormatError(`'${box.type}' box at offset ${box.start} is too short`);
}

function readU64(buf: Buffer, box: Box, at: number): number {
  needBytes(box, at, 8);
  const v = buf.readBigUInt64BE(at);
  if (v > MAX_SAFE) throw new Mp4FormatError(`64-bit value in '${box.type}' exceeds the safe integer range`);
  return Number(v);
}

function readU32(buf: Buffer, box: Box, at: number): number {
  needBytes(box, at, 4);
  return buf.readUInt32BE(at);
}

/** Full box header: version (1 byte) and flags (3 bytes). */
function fullBox(buf: Buffer, box: Box): { version: number; flags: number; body: number } {
  needBytes(box, box.body, 4);
  return { version: buf.readUInt8(box.body), flags: buf.readUIntBE(box.body + 1, 3), body: box.body + 4 };
}

// ---------------------------------------------------------------------------------------
// Init segments

export function readInitFacts(buf: Buffer): InitFacts {
  const moov = need(childBoxes(buf, 0, buf.length), 'moov', 'init segment');
  const trak = need(children(buf, moov), 'trak', "'moov'");
  const trakKids = children(buf, trak);
  const tkhd = need(trakKids, 'tkhd', "'trak'");
  const mdia = need(trakKids, 'mdia', "'trak'");
  const mdiaKids = children(buf, mdia);
  const mdhd = need(mdiaKids, 'mdhd', "'mdia'");
  const hdlr = need(mdiaKids, 'hdlr', "'mdia'");
  const minf = need(mdiaKids, 'minf', "'mdia'");
  const stbl = need(children(buf, minf), 'stbl', "'minf'");
  const stsd = need(children(buf, stbl), 'stsd', "'stbl'");

  const track = readTkhd(buf, tkhd);
  const timescale = readMdhdTimescale(buf, mdhd);
  const handler = readHandler(buf, hdlr);

  // stsd: full box, entry_count (4), then sample entries; the first entry describes the track.
  const stsdHeader = fullBox(buf, stsd);
  const entryCount = readU32(buf, stsd, stsdHeader.body);
  if (entryCount < 1) throw new Mp4FormatError("'stsd' has no sample entries");
  const entry = childBoxes(buf, stsdHeader.body + 4, stsd.end, "'stsd'")[0];
  if (!entry) throw new Mp4FormatError("'stsd' has no sample entries");

  const sample = readSampleEntry(buf, entry);
  const width = track.width > 0 ? track.width : sample.width;
  const height = track.height > 0 ? track.height : sample.height;
  const visual = sample.kind === 'visual';

  return {
    timescale,
    codecs: sample.codecs,
    ...(visual && width ? { width } : {}),
    ...(visual && height ? { height } : {}),
    trackId: track.trackId,
    handler,
    ...(sample.sampleRate ? { sampleRate: sample.sampleRate } : {}),
    ...(sample.channels ? { channels: sample.channels } : {}),
    ...(entry.type === 'encv' || entry.type === 'enca' ? { protectedEntry: entry.type } : {}),
  };
}

function readTkhd(buf: Buffer, tkhd: Box): { trackId: number; width: number; height: number } {
  const { version, body } = fullBox(buf, tkhd);
  // v0: creation(4) modification(4) track_ID(4) reserved(4) duration(4); v1 widens times and duration to 8.
  const trackId = readU32(buf, tkhd, body + (version === 1 ? 16 : 8));
  const afterDuration = body + (version === 1 ? 32 : 20);
  // reserved(8) layer(2) alternate_group(2) volume(2) reserved(2) matrix(36), then width/height as 16.16.
  const sizeAt = afterDuration + 52;
  const width = readU32(buf, tkhd, sizeAt) / 65536;
  const height = readU32(buf, tkhd, sizeAt + 4) / 65536;
  return { trackId, width: Math.round(width), height: Math.round(height) };
}

function readMdhdTimescale(buf: Buffer, mdhd: Box): number {
  const { version, body } = fullBox(buf, mdhd);
  const timescale = readU32(buf, mdhd, body + (version === 1 ? 16 : 8));
  if (timescale === 0) throw new Mp4FormatError("'mdhd' timescale is 0");
  return timescale;
}

function readHandler(buf: Buffer, hdlr: Box): string {
  const { body } = fullBox(buf, hdlr);
  needBytes(hdlr, body, 8);
  return buf.toString('latin1', body + 4, body + 8); // pre_defined(4), handler_type(4)
}

interface SampleEntryFacts {
  kind: 'visual' | 'audio' | 'other';
  codecs: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
}

const VISUAL_ENTRIES = new Set(['avc1', 'avc3', 'hvc1', 'hev1', 'vp08', 'vp09', 'av01', 'encv', 'mp4v']);
const AUDIO_ENTRIES = new Set(['mp4a', 'Opus', 'fLaC', 'ac-3', 'ec-3', 'enca', 'alac']);

function readSampleEntry(buf: Buffer, entry: Box): SampleEntryFacts {
  if (VISUAL_ENTRIES.has(entry.type)) {
    // SampleEntry: reserved(6) data_reference_index(2); VisualSampleEntry: pre_defined/reserved(16),
    // width(2) height(2) resolutions(8) reserved(4) frame_count(2) compressorname(32) depth(2) pre_defined(2).
    const sizeAt = entry.body + 8 + 16;
    needBytes(entry, entry.body, 78);
    const width = buf.readUInt16BE(sizeAt);
    const height = buf.readUInt16BE(sizeAt + 2);
    const kids = childBoxes(buf, entry.body + 78, entry.end, `'${entry.type}'`);
    return { kind: 'visual', codecs: visualCodecs(buf, originalFormat(buf, entry, kids), kids), width, height };
  }
  if (AUDIO_ENTRIES.has(entry.type)) {
    // SampleEntry(8); AudioSampleEntry: version(2) revision(2) vendor(4) channelcount(2) samplesize(2)
    // pre_defined(2) reserved(2) samplerate(16.16). QuickTime v1/v2 entries append 16/36 bytes.
    needBytes(entry, entry.body, 28);
    const qtVersion = buf.readUInt16BE(entry.body + 8);
    const channels = buf.readUInt16BE(entry.body + 16);
    const sampleRate = buf.readUInt32BE(entry.body + 24) >>> 16;
    const extra = qtVersion === 1 ? 16 : qtVersion === 2 ? 36 : 0;
    const kids = childBoxes(buf, entry.body + 28 + extra, entry.end, `'${entry.type}'`);
    const audio = audioCodecs(buf, originalFormat(buf, entry, kids), kids);
    return {
      kind: 'audio',
      codecs: audio.codecs,
      channels: audio.channels ?? channels,
      sampleRate: audio.sampleRate ?? sampleRate,
    };
  }
  return { kind: 'other', codecs: entry.type };
}

/**
 * Encrypted tracks use `encv`/`enca` sample entries; the codec they protect is named by
 * sinf/frma. Players need the original format in CODECS (avc1..., mp4a...), not encv.
 */
function originalFormat(buf: Buffer, entry: Box, kids: readonly Box[]): Box {
  if (entry.type !== 'encv' && entry.type !== 'enca') return entry;
  const sinf = need(kids, 'sinf', `'${entry.type}'`);
  const frma = need(children(buf, sinf), 'frma', "'sinf'");
  needBytes(frma, frma.body, 4);
  return { ...entry, type: buf.toString('latin1', frma.body, frma.body + 4) };
}

function visualCodecs(buf: Buffer, entry: Box, kids: readonly Box[]): string {
  if (entry.type === 'avc1' || entry.type === 'avc3') {
    const avcC = need(kids, 'avcC', `'${entry.type}'`);
    needBytes(avcC, avcC.body, 4);
    // configurationVersion(1) AVCProfileIndication(1) profile_compatibility(1) AVCLevelIndication(1)
    return `${entry.type}.${buf.subarray(avcC.body + 1, avcC.body + 4).toString('hex')}`;
  }
  if (entry.type === 'hvc1' || entry.type === 'hev1') {
    return `${entry.type}.${hevcCodecParams(buf, need(kids, 'hvcC', `'${entry.type}'`))}`;
  }
  return entry.type;
}

/**
 * ISO/IEC 14496-15 Annex E form: profile space letter + profile idc, the 32 compatibility
 * flags bit-reversed in hex, tier (L/H) + level, then the six constraint bytes in hex with
 * trailing zero bytes left out. Main10 level 4 from x265 gives "2.4.L120.B0".
 */
function hevcCodecParams(buf: Buffer, hvcC: Box): string {
  needBytes(hvcC, hvcC.body, 13);
  const b = hvcC.body;
  const first = buf.readUInt8(b + 1);
  const profileSpace = ['', 'A', 'B', 'C'][first >> 6];
  const tier = (first >> 5) & 1 ? 'H' : 'L';
  const profileIdc = first & 0x1f;
  const compat = reverseBits32(buf.readUInt32BE(b + 2));
  const constraints = [...buf.subarray(b + 6, b + 12)];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const level = buf.readUInt8(b + 12);
  return [
    `${profileSpace}${profileIdc}`,
    compat.toString(16).toUpperCase(),
    `${tier}${level}`,
    ...constraints.map((c) => c.toString(16).toUpperCase()),
  ].join('.');
}

function reverseBits32(v: number): number {
  let r = 0;
  for (let i = 0; i < 32; i++) {
    r = (r << 1) | (v & 1);
    v >>>= 1;
  }
  return r >>> 0;
}

function audioCodecs(
  buf: Buffer,
  entry: Box,
  kids: readonly Box[],
): { codecs: string; sampleRate?: number; channels?: number } {
  if (entry.type === 'mp4a') {
    const esds = find(kids, 'esds');
    return esds ? readEsds(buf, esds) : { codecs: 'mp4a' };
  }
  const names: Record<string, string> = { Opus: 'opus', fLaC: 'flac', 'ac-3': 'ac-3', 'ec-3': 'ec-3', alac: 'alac' };
  return { codecs: names[entry.type] ?? entry.type };
}

const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/**
 * esds: ES_Descriptor(0x03) > DecoderConfigDescriptor(0x04: objectTypeIndication) >
 * DecoderSpecificInfo(0x05: AudioSpecificConfig, whose first 5 bits are the audio object type).
 */
function readEsds(buf: Buffer, esds: Box): { codecs: string; sampleRate?: number; channels?: number } {
  const { body } = fullBox(buf, esds);
  const end = esds.end;
  const es = readDescriptor(buf, body, end);
  if (es.tag !== 0x03) throw new Mp4FormatError("'esds' does not start with an ES descriptor");
  let at = es.body;
  needBytes(esds, at, 3);
  const esFlags = buf.readUInt8(at + 2);
  at += 3; // ES_ID(2) + flags(1)
  if (esFlags & 0x80) at += 2; // dependsOn_ES_ID
  if (esFlags & 0x40) {
    needBytes(esds, at, 1);
    at += 1 + buf.readUInt8(at); // URL
  }
  if (esFlags & 0x20) at += 2; // OCR_ES_Id
  const dcd = readDescriptor(buf, at, es.end);
  if (dcd.tag !== 0x04) throw new Mp4FormatError("'esds' has no decoder config descriptor");
  needBytes(esds, dcd.body, 13);
  const objectType = buf.readUInt8(dcd.body);
  const oti = objectType.toString(16).padStart(2, '0');
  // objectTypeIndication(1) streamType(1) bufferSize(3) maxBitrate(4) avgBitrate(4) = 13 bytes.
  if (dcd.body + 13 >= dcd.end) return { codecs: `mp4a.${oti}` };
  const dsi = readDescriptor(buf, dcd.body + 13, dcd.end);
  if (dsi.tag !== 0x05 || dsi.end - dsi.body < 2) return { codecs: `mp4a.${oti}` };
  if (objectType !== 0x40) return { codecs: `mp4a.${oti}` };

  // AudioSpecificConfig: audioObjectType(5, 31 = escape to 6 more bits), samplingFrequencyIndex(4), channelConfiguration(4).
  const bits = new BitReader(buf, dsi.body, dsi.end);
  let aot = bits.read(5);
  if (aot === 31) aot = 32 + bits.read(6);
  const freqIndex = bits.read(4);
  const sampleRate = freqIndex === 15 ? bits.read(24) : AAC_SAMPLE_RATES[freqIndex];
  // channelConfiguration 1-6 is the channel count, 7 means 7.1; 0 (defined in a PCE) is left to the sample entry.
  const channelConfig = bits.read(4);
  const channels = channelConfig === 7 ? 8 : channelConfig >= 1 && channelConfig <= 6 ? channelConfig : undefined;
  return {
    codecs: `mp4a.40.${aot}`,
    ...(sampleRate ? { sampleRate } : {}),
    ...(channels ? { channels } : {}),
  };
}

/** MPEG-4 descriptor: tag(1) and a size of 1-4 bytes, 7 bits each, high bit = "more". */
function readDescriptor(buf: Buffer, at: number, end: number): { tag: number; body: number; end: number } {
  if (at + 2 > end) throw new Mp4FormatError('esds descriptor is cut off');
  const tag = buf.readUInt8(at);
  let size = 0;
  let p = at + 1;
  for (let i = 0; i < 4; i++) {
    if (p >= end) throw new Mp4FormatError('esds descriptor size is cut off');
    const byte = buf.readUInt8(p++);
    size = (size << 7) | (byte & 0x7f);
    if (!(byte & 0x80)) break;
  }
  if (p + size > end) throw new Mp4FormatError(`esds descriptor 0x${tag.toString(16)} runs past its parent`);
  return { tag, body: p, end: p + size };
}

class BitReader {
  private bit = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly start: number,
    private readonly end: number,
  ) {}

  read(count: number): number {
    let v = 0;
    for (let i = 0; i < count; i++) {
      const byteAt = this.start + (this.bit >> 3);
      if (byteAt >= this.end) throw new Mp4FormatError('AudioSpecificConfig is cut off');
      v = v * 2 + ((this.buf.readUInt8(byteAt) >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return v;
  }
}

// ---------------------------------------------------------------------------------------
// Media segments

// tfhd flags
export const TFHD_BASE_DATA_OFFSET = 0x000001;
export const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
export const TFHD_DEFAULT_SAMPLE_DURATION = 0x000008;
// trun flags
export const TRUN_DATA_OFFSET = 0x000001;
export const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
export const TRUN_SAMPLE_DURATION = 0x000100;
export const TRUN_SAMPLE_SIZE = 0x000200;
export const TRUN_SAMPLE_FLAGS = 0x000400;
export const TRUN_SAMPLE_CTO = 0x000800;

export function readSegmentFacts(buf: Buffer): SegmentFacts {
  const moofs = childBoxes(buf, 0, buf.length).filter((b) => b.type === 'moof');
  if (moofs.length === 0) throw new Mp4FormatError('no moof box in media segment');

  let trackId: number | undefined;
  let baseDecodeTime: number | undefined;
  let duration = 0;
  let sampleCount = 0;

  for (const moof of moofs) {
    for (const traf of children(buf, moof).filter((b) => b.type === 'traf')) {
      const kids = children(buf, traf);
      const tfhd = readTfhd(buf, need(kids, 'tfhd', "'traf'"));
      // Only the first track's fragments count: summing two tracks would double the duration.
      trackId ??= tfhd.trackId;
      if (tfhd.trackId !== trackId) continue;
      if (baseDecodeTime === undefined) baseDecodeTime = readTfdt(buf, need(kids, 'tfdt', "first 'traf'"));

      for (const trun of kids.filter((b) => b.type === 'trun')) {
        const run = readTrun(buf, trun, tfhd.defaultSampleDuration);
        duration += run.duration;
        sampleCount += run.sampleCount;
      }
    }
  }
  if (baseDecodeTime === undefined) throw new Mp4FormatError("no 'traf' in media segment");
  return { baseDecodeTime, duration, sampleCount };
}

function readTfhd(buf: Buffer, tfhd: Box): { trackId: number; defaultSampleDuration?: number } {
  const { flags, body } = fullBox(buf, tfhd);
  const trackId = readU32(buf, tfhd, body);
  let at = body + 4;
  if (flags & TFHD_BASE_DATA_OFFSET) at += 8;
  if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) at += 4;
  const defaultSampleDuration = flags & TFHD_DEFAULT_SAMPLE_DURATION ? readU32(buf, tfhd, at) : undefined;
  return { trackId, ...(defaultSampleDuration !== undefined ? { defaultSampleDuration } : {}) };
}

function readTfdt(buf: Buffer, tfdt: Box): number {
  const { version, body } = fullBox(buf, tfdt);
  return version === 1 ? readU64(buf, tfdt, body) : readU32(buf, tfdt, body);
}

function readTrun(buf: Buffer, trun: Box, defaultDuration: number | undefined): { duration: number; sampleCount: number } {
  const { flags, body } = fullBox(buf, trun);
  const sampleCount = readU32(buf, trun, body);
  let at = body + 4;
  if (flags & TRUN_DATA_OFFSET) at += 4;
  if (flags & TRUN_FIRST_SAMPLE_FLAGS) at += 4;
  const perSample = [TRUN_SAMPLE_DURATION, TRUN_SAMPLE_SIZE, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_CTO].filter((f) => flags & f).length * 4;
  needBytes(trun, at, sampleCount * perSample);

  if (!(flags & TRUN_SAMPLE_DURATION)) {
    if (defaultDuration === undefined && sampleCount > 0) {
      // The trex default lives in the init segment, which this reader does not see.
      throw new Mp4FormatError("'trun' has no sample durations and 'tfhd' no default_sample_duration");
    }
    return { duration: sampleCount * (defaultDuration ?? 0), sampleCount };
  }
  let duration = 0;
  for (let i = 0; i < sampleCount; i++) duration += buf.readUInt32BE(at + i * perSample);
  return { duration, sampleCount };
}

// ---------------------------------------------------------------------------------------
// Normalisation

/**
 * Returns a copy with mvex/mehd fragment_duration set to 0 ("unknown"). Shaka packager
 * writes the duration of the chunk it packaged there, so it is the only byte range in
 * which the init segments of a rendition's chunks differ; zeroing it makes them
 * byte-identical, so any chunk's init can serve the whole rendition. Without mehd the
 * copy is returned unchanged.
 */
export function zeroMehdDuration(buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  const moov = need(childBoxes(out, 0, out.length), 'moov', 'init segment');
  const mvex = find(children(out, moov), 'mvex');
  if (!mvex) return out;
  const mehd = find(children(out, mvex), 'mehd');
  if (!mehd) return out;
  const { version, body } = fullBox(out, mehd);
  const width = version === 1 ? 8 : 4;
  needBytes(mehd, body, width);
  out.fill(0, body, body + width);
  return out;
}

import { decryptSegment, segmentIv } from '@airlock/crypto';
import { listBoxes } from '@airlock/media';

/**
 * Test-only reading of what the worker stores for an init or media segment: the object is the
 * packager's fMP4 encrypted whole (AES-128-CBC), so the specs check that it is NOT readable as
 * ISO-BMFF, open it with the media's output key and the IV of its rendition and index, and read
 * the box tree of the clear bytes.
 */

interface Box {
  readonly type: string;
  readonly body: number;
  readonly end: number;
}

/** The object's clear bytes: decrypted under `key` with the IV the object's place derives. Throws on a wrong key. */
export async function openStored(stored: Uint8Array, key: Uint8Array, keyIdHex: string, rendition: string, index: number): Promise<Buffer> {
  return Buffer.from(await decryptSegment(stored, key, await segmentIv(keyIdHex, rendition, index)));
}

/** The clear bytes, or undefined when the key does not open the object (bad padding). */
export async function tryOpenStored(stored: Uint8Array, key: Uint8Array, keyIdHex: string, rendition: string, index: number): Promise<Buffer | undefined> {
  return openStored(stored, key, keyIdHex, rendition, index).catch(() => undefined);
}

/** Top-level boxes tile the bytes exactly, each named by four printable characters: what a demuxer needs to start. */
export function parsesAsIsoBmff(bytes: Buffer): boolean {
  try {
    return listBoxes(bytes).length > 0;
  } catch {
    return false;
  }
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

/** Offset where a container's children start (stsd carries fields first); undefined for leaf boxes. */
function childStart(box: Box): number | undefined {
  switch (box.type) {
    case 'moov':
    case 'trak':
    case 'mdia':
    case 'minf':
    case 'stbl':
    case 'moof':
    case 'traf':
    case 'mvex':
      return box.body;
    case 'stsd':
      return box.body + 8; // version/flags(4) entry_count(4)
    default:
      return undefined;
  }
}

/** Every box type in the file, depth first (sample entries are listed, not entered). */
export function boxTypes(buf: Buffer): string[] {
  const out: string[] = [];
  const visit = (list: Box[]): void => {
    for (const box of list) {
      out.push(box.type);
      const at = childStart(box);
      if (at !== undefined) visit(boxes(buf, at, box.end));
    }
  };
  visit(boxes(buf, 0, buf.length));
  return out;
}

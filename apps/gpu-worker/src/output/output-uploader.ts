import { readFile } from 'node:fs/promises';
import { OutputFact } from '@airlock/contracts';
import { storageKeys } from '@airlock/domain';
import { readInitFacts, readSegmentFacts } from '@airlock/media';
import { ObjectStore, sha256File } from '@airlock/storage';

/**
 * Hash an fMP4 object, read its timing facts, and upload it under its content-hash key.
 * The key is a function of the bytes, so a retry that produces the same bytes is idempotent.
 */
export class OutputUploader {
  constructor(private readonly store: ObjectStore) {}

  async uploadInit(mediaId: string, rendition: string, path: string): Promise<OutputFact> {
    const buf = await readFile(path);
    const sha256 = await sha256File(path);
    const facts = readInitFacts(buf);
    const key = storageKeys.initSegment(mediaId, rendition, sha256);
    await this.store.putFile(key, path, 'video/mp4');
    return { kind: 'init', rendition, segmentIndex: -1, key, sha256, sizeBytes: buf.length, timescale: facts.timescale, baseDecodeTime: 0, duration: 0, sampleCount: 0 };
  }

  async uploadSegment(mediaId: string, rendition: string, index: number, timescale: number, path: string): Promise<OutputFact> {
    const buf = await readFile(path);
    const sha256 = await sha256File(path);
    const facts = readSegmentFacts(buf);
    const key = storageKeys.mediaSegment(mediaId, rendition, index, sha256);
    await this.store.putFile(key, path, 'video/iso.segment');
    return {
      kind: 'media',
      rendition,
      segmentIndex: index,
      key,
      sha256,
      sizeBytes: buf.length,
      timescale,
      baseDecodeTime: facts.baseDecodeTime,
      duration: facts.duration,
      sampleCount: facts.sampleCount,
    };
  }
}

import { readFile, stat } from 'node:fs/promises';
import { OutputFact } from '@airlock/contracts';
import { readInitFacts, readSegmentFacts } from '@airlock/media';
import { putFileToUrl, sha256File } from '@airlock/storage';
import { withSpan } from '@airlock/telemetry';
import { AttemptGrant } from '../grants/grant-client';

export interface ProducedFile {
  readonly kind: 'init' | 'media' | 'file';
  readonly rendition: string;
  /** -1 for init segments, 0 for chat files. */
  readonly segmentIndex: number;
  readonly path: string;
  /** Chat files: how long the content plays (0 for a still). */
  readonly durationMs?: number;
}

/**
 * Hash each (already encrypted) fMP4 object, read its timing facts, and upload it through the
 * presigned PUTs the grant hands out for exactly those content-hash keys. The worker holds no
 * storage credentials: it can write nowhere else.
 */
export class OutputUploader {
  upload(grant: AttemptGrant, files: readonly ProducedFile[]): Promise<OutputFact[]> {
    return withSpan('outputs.upload', { 'airlock.files': files.length }, () => this.hashAndPut(grant, files));
  }

  private async hashAndPut(grant: AttemptGrant, files: readonly ProducedFile[]): Promise<OutputFact[]> {
    const timescales = new Map<string, number>();
    const facts: Omit<OutputFact, 'key'>[] = [];
    for (const f of files) {
      const sha256 = await sha256File(f.path);
      if (f.kind === 'file') {
        // A sealed blob: streamed, never read whole (a normalized MP4 can be large).
        const { size } = await stat(f.path);
        facts.push({ kind: 'file', rendition: f.rendition, segmentIndex: 0, sha256, sizeBytes: size, timescale: 1000, baseDecodeTime: 0, duration: f.durationMs ?? 0, sampleCount: 0 });
        continue;
      }
      const buf = await readFile(f.path);
      if (f.kind === 'init') {
        const init = readInitFacts(buf);
        timescales.set(f.rendition, init.timescale);
        facts.push({ kind: 'init', rendition: f.rendition, segmentIndex: -1, sha256, sizeBytes: buf.length, timescale: init.timescale, baseDecodeTime: 0, duration: 0, sampleCount: 0 });
      } else {
        const timescale = timescales.get(f.rendition);
        if (!timescale) throw new Error(`no init segment before ${f.rendition} segment ${f.segmentIndex}`);
        const seg = readSegmentFacts(buf);
        facts.push({ kind: 'media', rendition: f.rendition, segmentIndex: f.segmentIndex, sha256, sizeBytes: buf.length, timescale, ...seg });
      }
    }
    const uploads = await grant.uploadUrls(facts.map(({ kind, rendition, segmentIndex, sha256 }) => ({ kind, rendition, segmentIndex, sha256 })));
    if (uploads.length !== facts.length) throw new Error(`the grant answered ${uploads.length} upload URLs for ${facts.length} files`);
    const out: OutputFact[] = [];
    for (const [i, fact] of facts.entries()) {
      const { key, url } = uploads[i];
      if (!key.includes(fact.sha256)) throw new Error(`the grant's upload key for ${fact.rendition} ${fact.segmentIndex} is not this file's content hash`);
      await this.put(url, files[i].path, fact, grant);
      out.push({ ...fact, key });
    }
    return out;
  }

  /** One presigned PUT (a seam for the verifier's tampering suite, which plays a dishonest worker). */
  protected put(url: string, path: string, _fact: Omit<OutputFact, 'key'>, _grant: AttemptGrant): Promise<void> {
    return putFileToUrl(url, path);
  }
}

import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { OutputFact } from '@airlock/contracts';
import { readInitFacts, readSegmentFacts } from '@airlock/media';
import { putFileToUrl, PutError, sha256File } from '@airlock/storage';
import { withSpan } from '@airlock/telemetry';
import { AttemptGrant } from '../grants/grant-client';
import { encryptPackaged } from './segment-encryption';

export interface ProducedFile {
  readonly kind: 'init' | 'media' | 'file';
  readonly rendition: string;
  /** -1 for init segments, 0 for chat files. */
  readonly segmentIndex: number;
  /** Init and media segments: the packager's clear output (encrypted here). Chat files: the sealed blob. */
  readonly path: string;
  /** Chat files: how long the content plays (0 for a still). */
  readonly durationMs?: number;
}

/**
 * The one place outputs leave the worker. Each packaged init and media segment has its timing
 * facts read from its clear bytes, is then encrypted whole (segment-encryption), and is hashed,
 * sized and uploaded as that ciphertext, the only form that is stored. Chat files arrive sealed.
 * Uploads go through the presigned PUTs the grant hands out for exactly those content-hash
 * keys, each bound to the file's sha256 and length and create-only: the worker holds no storage
 * credentials, can write nowhere else, and cannot rewrite an object once it is there.
 */
export class OutputUploader {
  upload(grant: AttemptGrant, files: readonly ProducedFile[]): Promise<OutputFact[]> {
    return withSpan('outputs.upload', { 'airlock.files': files.length }, () => this.hashAndPut(grant, files));
  }

  private async hashAndPut(grant: AttemptGrant, files: readonly ProducedFile[]): Promise<OutputFact[]> {
    const timescales = new Map<string, number>();
    const facts: Omit<OutputFact, 'key'>[] = [];
    const stored: string[] = [];
    for (const f of files) {
      if (f.kind === 'file') {
        // A sealed blob: streamed, never read whole (a normalized MP4 can be large).
        const { size } = await stat(f.path);
        facts.push({ kind: 'file', rendition: f.rendition, segmentIndex: 0, sha256: await sha256File(f.path), sizeBytes: size, timescale: 1000, baseDecodeTime: 0, duration: f.durationMs ?? 0, sampleCount: 0 });
        stored.push(f.path);
        continue;
      }
      const clear = await readFile(f.path);
      let timing: Pick<OutputFact, 'timescale' | 'baseDecodeTime' | 'duration' | 'sampleCount'>;
      if (f.kind === 'init') {
        const init = readInitFacts(clear);
        timescales.set(f.rendition, init.timescale);
        timing = { timescale: init.timescale, baseDecodeTime: 0, duration: 0, sampleCount: 0 };
      } else {
        const timescale = timescales.get(f.rendition);
        if (!timescale) throw new Error(`no init segment before ${f.rendition} segment ${f.segmentIndex}`);
        timing = { timescale, ...readSegmentFacts(clear) };
      }
      const cipher = await encryptPackaged(grant, f.rendition, f.segmentIndex, clear);
      // Beside the clear file, in the attempt's workspace (removed with it).
      const path = `${f.path}.aes`;
      await writeFile(path, cipher);
      stored.push(path);
      facts.push({ kind: f.kind, rendition: f.rendition, segmentIndex: f.segmentIndex, sha256: createHash('sha256').update(cipher).digest('hex'), sizeBytes: cipher.length, ...timing });
    }
    const uploads = await grant.uploadUrls(facts.map(({ kind, rendition, segmentIndex, sha256, sizeBytes }) => ({ kind, rendition, segmentIndex, sha256, sizeBytes })));
    if (uploads.length !== facts.length) throw new Error(`the grant answered ${uploads.length} upload URLs for ${facts.length} files`);
    const out: OutputFact[] = [];
    for (const [i, fact] of facts.entries()) {
      const { key, url, headers } = uploads[i];
      if (!key.includes(fact.sha256)) throw new Error(`the grant's upload key for ${fact.rendition} ${fact.segmentIndex} is not this file's content hash`);
      await this.put({ url, headers }, stored[i], fact, grant);
      out.push({ ...fact, key });
    }
    return out;
  }

  /** One presigned PUT of what is stored (a seam for the verifier's tampering suite, which plays a dishonest worker). */
  protected put(upload: BoundUpload, path: string, _fact: Omit<OutputFact, 'key'>, _grant: AttemptGrant): Promise<void> {
    return putOnce(upload, path);
  }
}

/** A grant's upload: the URL and the headers it was signed with (sha256, length, create-only). */
export interface BoundUpload {
  readonly url: string;
  readonly headers: Record<string, string>;
}

/**
 * PUT a file through its bound URL. A 412 means the object already exists: its key is this
 * content's hash and the store only ever accepts the declared bytes for it, so the object there
 * is this file (a rendition's init written by every task of the rung, a retry after a lost
 * answer). Any other refusal fails the try.
 */
export async function putOnce(upload: BoundUpload, path: string): Promise<void> {
  try {
    await putFileToUrl(upload.url, path, upload.headers);
  } catch (e) {
    if (e instanceof PutError && e.status === 412) return;
    throw e;
  }
}

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { OutputFact, TaskReport } from '@airlock/contracts';
import { TAMPER_MODES } from '@airlock/config';
import { AttemptGrant } from '../grants/grant-client';
import { BoundUpload, OutputUploader, ProducedFile } from '../output/output-uploader';
import { decryptPackaged, encryptPackaged } from '../output/segment-encryption';

export type TamperMode = (typeof TAMPER_MODES)[number];

/**
 * A dishonest worker, for the verifier's tampering suite only (WORKER_TAMPER, refused in
 * production). It does the real work, then lies about the media segments of one rendition
 * in one way per mode; the verifier must name each lie, and the task must run again elsewhere.
 * It holds the fleet key, so its lies are signed, except in `edit_after_signing`.
 */
export class TamperingWorker {
  /** The first target segment this worker produced: `other_attempt_key` reports it for later tasks. */
  private firstFact?: OutputFact;

  constructor(
    readonly mode: TamperMode,
    private readonly rendition: string,
    private readonly foreign: { key?: string; file?: string } = {},
  ) {}

  private targets(o: Pick<OutputFact, 'kind' | 'rendition'>): boolean {
    return o.kind === 'media' && o.rendition === this.rendition;
  }

  readonly uploader = new TamperingUploader(this);

  /** Lies told in the report before it is signed. */
  beforeSigning(report: TaskReport): TaskReport {
    const lie = (f: (o: OutputFact) => OutputFact) => ({ ...report, outputs: report.outputs.map((o) => (this.targets(o) ? f(o) : o)) });
    if (!report.outputs.some((o) => this.targets(o))) return report;
    switch (this.mode) {
      case 'wrong_duration':
        return lie((o) => ({ ...o, duration: Math.round(o.duration * 0.9) }));
      case 'no_receipt':
        return { ...report, cleanup: undefined };
      case 'foreign_media':
        return lie((o) => ({ ...o, key: this.foreign.key ?? o.key }));
      case 'other_attempt_key':
        return lie((o) => {
          if (!this.firstFact || this.firstFact.segmentIndex === o.segmentIndex) {
            this.firstFact ??= o;
            return o;
          }
          return this.firstFact;
        });
      case 'swap_bytes':
      case 'truncate':
      case 'skip_segment':
      case 'foreign_bytes':
      case 'corrupt_payload':
      case 'edit_after_signing':
        return report;
    }
  }

  /** A lie told after signing: the signature no longer covers the report. */
  afterSigning(report: TaskReport): TaskReport {
    if (this.mode !== 'edit_after_signing' || !report.outputs.some((o) => this.targets(o))) return report;
    return { ...report, stream: { ...report.stream, bitrateKbps: report.stream.bitrateKbps + 1 } };
  }

  /** Upload lies: other bytes than reported, a truncated object, or none at all. */
  async tamperUpload(grant: AttemptGrant, fact: Omit<OutputFact, 'key'>, path: string, put: () => Promise<void>): Promise<Partial<OutputFact> | undefined> {
    if (!this.targets(fact)) return void (await put());
    switch (this.mode) {
      case 'skip_segment':
        return undefined;
      case 'swap_bytes': {
        // Other bytes through the URL bound to the reported hash: the store refuses them
        // (BadDigest), so nothing lands and the verifier finds the object missing. A store that
        // took them would show as hash_mismatch instead.
        const bytes = await readFile(path);
        bytes[bytes.length >> 1] ^= 0xff;
        const [upload] = await grant.uploadUrls([fact]);
        await putBytes(upload, bytes).catch(() => undefined);
        return undefined;
      }
      case 'foreign_bytes': {
        // Another media's segment with the same timing, honestly hashed: only decoding shows it.
        if (!this.foreign.file) throw new Error('foreign_bytes needs WORKER_TAMPER_FOREIGN_FILE');
        return this.replace(grant, fact, await readFile(this.foreign.file.replace('{index}', String(fact.segmentIndex))));
      }
      case 'corrupt_payload': {
        // One sample byte changed under the right key and IV, honestly hashed: a valid segment
        // with the right boxes and timing; only another worker's encode of the same segment
        // (duplicate execution) disagrees.
        const clear = await decryptPackaged(grant, fact.rendition, fact.segmentIndex, await readFile(path));
        clear[clear.length - 1] ^= 0xff;
        return this.replace(grant, fact, await encryptPackaged(grant, fact.rendition, fact.segmentIndex, clear));
      }
      case 'truncate': {
        // A consistent liar: the truncated object under its own hash, the segment's timing as
        // before. Cut mid-block, as an interrupted upload is: not a whole number of AES blocks.
        const bytes = await readFile(path);
        const cut = Math.floor(fact.sizeBytes * 0.6);
        return this.replace(grant, fact, bytes.subarray(0, cut % 16 === 0 ? cut - 1 : cut));
      }
      case 'wrong_duration':
      case 'other_attempt_key':
      case 'no_receipt':
      case 'foreign_media':
      case 'edit_after_signing':
        await put();
        return undefined;
    }
  }

  /** Upload `bytes` in place of the segment, under their own content hash, and report them. */
  private async replace(grant: AttemptGrant, fact: Omit<OutputFact, 'key'>, bytes: Buffer): Promise<Partial<OutputFact>> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const [{ url, key, headers }] = await grant.uploadUrls([{ ...fact, sha256, sizeBytes: bytes.length }]);
    await putBytes({ url, headers }, bytes);
    return { key, sha256, sizeBytes: bytes.length };
  }
}

class TamperingUploader extends OutputUploader {
  private readonly changes = new Map<string, Partial<OutputFact>>();

  constructor(private readonly tampering: TamperingWorker) {
    super();
  }

  override async upload(grant: AttemptGrant, files: readonly ProducedFile[]): Promise<OutputFact[]> {
    const outputs = await super.upload(grant, files);
    return outputs.map((o) => ({ ...o, ...this.changes.get(o.sha256) }));
  }

  protected override async put(upload: BoundUpload, path: string, fact: Omit<OutputFact, 'key'>, grant: AttemptGrant): Promise<void> {
    const change = await this.tampering.tamperUpload(grant, fact, path, () => super.put(upload, path, fact, grant));
    if (change) this.changes.set(fact.sha256, change);
  }
}

async function putBytes(upload: BoundUpload, bytes: Buffer): Promise<void> {
  const res = await fetch(upload.url, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', ...upload.headers }, body: new Uint8Array(bytes) });
  if (!res.ok) throw new Error(`upload failed with ${res.status}`);
}

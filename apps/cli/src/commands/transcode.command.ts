import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { AirlockClient } from '@airlock/client-sdk';
import { MediaView } from '@airlock/contracts';
import { sha256File } from '@airlock/storage';

export interface TranscodeOptions {
  readonly file: string;
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly profiles?: string[];
  readonly timeoutSec: number;
}

/** Play the chat backend and the sender: create, upload, complete, then wait with a progress bar. */
export async function transcode(opts: TranscodeOptions): Promise<MediaView> {
  const client = new AirlockClient({ baseUrl: opts.apiUrl, apiKey: opts.apiKey });
  const { size } = await stat(opts.file);
  const sha256 = await sha256File(opts.file);
  const created = await client.createMedia({ profiles: opts.profiles, source: { sizeBytes: size, sha256 } });
  process.stdout.write(`media ${created.id}: uploading ${(size / 1e6).toFixed(1)} MB\n`);
  await client.upload(created.upload, Readable.toWeb(createReadStream(opts.file)) as ReadableStream, size);
  const t0 = Date.now();
  await client.uploadComplete(created.id);

  const media = await client.waitFor(created.id, {
    timeoutMs: opts.timeoutSec * 1000,
    onUpdate: (m) => progressBar(m, Date.now() - t0),
  });
  process.stdout.write('\n');
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (media.state !== 'ready') {
    throw new Error(`media ${media.id} ended ${media.state}: ${media.failure?.code ?? ''} ${media.failure?.message ?? ''}`.trim());
  }
  process.stdout.write(`ready in ${seconds} s after upload-complete\n`);
  process.stdout.write(`renditions: ${media.renditions.map((r) => r.name).join(', ')}\n`);
  process.stdout.write(`HLS:  ${media.manifests?.hls}\nDASH: ${media.manifests?.dash}\n`);
  return media;
}

function progressBar(m: MediaView, elapsedMs: number) {
  if (!process.stdout.isTTY) return;
  const width = 30;
  const ratio = m.progress.total ? m.progress.done / m.progress.total : 0;
  const filled = Math.round(ratio * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  process.stdout.write(`\r${bar} ${m.progress.done}/${m.progress.total} ${m.state.padEnd(14)} ${(elapsedMs / 1000).toFixed(1)}s`);
}

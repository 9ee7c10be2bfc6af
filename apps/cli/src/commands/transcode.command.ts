import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AirlockClient } from '@airlock/client-sdk';
import { sealFile, uploadFile } from '@airlock/client-sdk/node';
import { MediaView } from '@airlock/contracts';
import { generateX25519KeyPair, KeyPairJwk } from '@airlock/crypto';

export interface TranscodeOptions {
  readonly file: string;
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly profiles?: string[];
  readonly timeoutSec: number;
  /** The local recipient identity (private JWK file), created on first use. */
  readonly recipientFile: string;
}

/** A recipient identity for local runs: the demo plays sender and recipient on one machine. */
export async function localRecipient(file: string): Promise<KeyPairJwk & { id: string }> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as KeyPairJwk & { id: string };
  const pair = { id: 'local-recipient', ...(await generateX25519KeyPair('local-recipient')) };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(pair), { mode: 0o600 });
  return pair;
}

/**
 * Play the chat backend and the sender: encrypt the file to the pipeline key, create the media
 * for one recipient, upload ciphertext only, then wait with a progress bar.
 */
export async function transcode(opts: TranscodeOptions): Promise<MediaView> {
  const client = new AirlockClient({ baseUrl: opts.apiUrl, apiKey: opts.apiKey });
  const recipient = await localRecipient(opts.recipientFile);
  const scratch = await mkdtemp(join(tmpdir(), 'airlock-send-'));
  let created;
  try {
    const sealedPath = join(scratch, 'source.sealed');
    const source = await sealFile(opts.file, sealedPath, await client.pipelineKey());
    created = await client.createMedia({ profiles: opts.profiles, recipients: [{ id: recipient.id, publicJwk: recipient.publicJwk as never }], source });
    process.stdout.write(`media ${created.id}: uploading ${(source.sizeBytes / 1e6).toFixed(1)} MB of ciphertext\n`);
    await uploadFile(created.upload, sealedPath);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const t0 = Date.now();
  await client.uploadComplete(created.id);

  let previewMs: number | undefined;
  const media = await client.waitFor(created.id, {
    timeoutMs: opts.timeoutSec * 1000,
    intervalMs: 200,
    onUpdate: (m) => {
      if (m.preview && previewMs === undefined) previewMs = Date.now() - t0;
      progressBar(m, Date.now() - t0);
    },
  });
  process.stdout.write('\n');
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (media.state !== 'ready') {
    throw new Error(`media ${media.id} ended ${media.state}: ${media.failure?.code ?? ''} ${media.failure?.message ?? ''}`.trim());
  }
  if (previewMs !== undefined) process.stdout.write(`preview ready in ${(previewMs / 1000).toFixed(1)} s after upload-complete: ${media.preview?.hls}\n`);
  process.stdout.write(`ready in ${seconds} s after upload-complete\n`);
  process.stdout.write(`renditions: ${media.renditions.map((r) => r.name).join(', ')} (encrypted, aes-128, key id ${media.keyId})\n`);
  process.stdout.write(`HLS:  ${media.manifests?.hls}\nDASH: ${media.manifests?.dash}\n`);
  process.stdout.write(`recipient "${recipient.id}" key: ${opts.recipientFile}\n`);
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

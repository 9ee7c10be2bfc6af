import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { JWK } from 'jose';
import { putFileToUrl, PutError } from '@airlock/storage';
import { AirlockApiError, ALREADY_UPLOADED } from './lib/airlock-client';
import { sealSource } from './lib/sender';
import type { CreateMediaResponse } from '@airlock/contracts';

/** Node only: encrypt a file to `sealedPath` (0600), returning what `POST /v1/media` needs about it. */
export async function sealFile(file: string, sealedPath: string, pipelineJwk: JWK): Promise<{ sizeBytes: number; sha256: string; contentKeyJwe: string }> {
  const { contentKeyJwe, ciphertext } = await sealSource(createReadStream(file), pipelineJwk);
  const hash = createHash('sha256');
  async function* hashing() {
    for await (const c of ciphertext) {
      hash.update(c);
      yield c;
    }
  }
  await pipeline(Readable.from(hashing()), createWriteStream(sealedPath, { flags: 'wx', mode: 0o600 }));
  return { sizeBytes: (await stat(sealedPath)).size, sha256: hash.digest('hex'), contentKeyJwe };
}

/**
 * Node only: PUT a local file to the presigned upload target, streamed in bounded memory, with the
 * headers it is signed for. Already uploaded (412 from the create-only PUT) counts as done, as in
 * `AirlockClient.upload`.
 */
export async function uploadFile(upload: CreateMediaResponse['upload'], path: string): Promise<void> {
  try {
    await putFileToUrl(upload.url, path, upload.headers);
  } catch (e) {
    if (e instanceof PutError && e.status === ALREADY_UPLOADED) return;
    if (e instanceof PutError) throw new AirlockApiError(e.status, 'upload_failed', `storage answered ${e.status}`);
    throw e;
  }
}

export { verifyWebhook } from './lib/webhook-receiver';
export type { WebhookHeaders } from './lib/webhook-receiver';
export type { WebhookVerification, WebhookSignatureRefusal } from '@airlock/crypto/node';
export type { WebhookEventBody } from '@airlock/contracts';
export { PLAYER_BUNDLE_DIR, PLAYER_BUNDLE_ENTRY } from './lib/player/player-bundle';

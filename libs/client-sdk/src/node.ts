import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { JWK } from 'jose';
import { AirlockClient } from './lib/airlock-client';
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

/** Node only: PUT a local file to the presigned upload target. */
export async function uploadFile(client: AirlockClient, upload: CreateMediaResponse['upload'], path: string): Promise<void> {
  const { size } = await stat(path);
  await client.upload(upload, Readable.toWeb(createReadStream(path)) as ReadableStream, size);
}

export { verifyWebhook } from './lib/webhook-receiver';
export type { WebhookHeaders } from './lib/webhook-receiver';
export type { WebhookVerification, WebhookSignatureRefusal } from '@airlock/crypto/node';
export type { WebhookEventBody } from '@airlock/contracts';

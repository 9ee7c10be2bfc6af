import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';

/** How long an upload may go without a byte moving either way. */
export const PUT_IDLE_TIMEOUT_MS = 60_000;

/**
 * PUT a local file to a presigned URL in bounded memory, through node:http. Not fetch: Node's
 * fetch (undici) reads a streamed request body as fast as the disk gives it, whatever the
 * socket drains, so a 1 GB upload held 1 GB of memory (undici issue 4058; measured here:
 * 1,080 MB peak against 86 MB for this). Throws on any answer but 2xx.
 */
export async function putFileToUrl(url: string, path: string, headers: Record<string, string> = {}, idleTimeoutMs = PUT_IDLE_TIMEOUT_MS): Promise<void> {
  const { size } = await stat(path);
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = request(target, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', ...headers, 'Content-Length': String(size) } });
  // A store that stops answering (or reading) fails the upload rather than holding the attempt forever.
  req.setTimeout(idleTimeoutMs, () => req.destroy(new PutError(0, `PUT: no progress for ${idleTimeoutMs / 1000} s`)));
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  // A refusal can come before the body is sent: the answer settles the outcome, not the pipe.
  const sent = pipeline(createReadStream(path), req).catch(() => undefined);
  const res = await answered;
  const body: Buffer[] = [];
  for await (const chunk of res) body.push(chunk as Buffer);
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) {
    req.destroy();
    throw new PutError(status, `PUT answered ${status}: ${Buffer.concat(body).toString('utf8').slice(0, 200)}`);
  }
  await sent;
}

export class PutError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'PutError';
  }
}

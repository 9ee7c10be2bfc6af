import type { JWK } from 'jose';
import type { CreateMediaRequest, CreateMediaResponse, MediaList, MediaView } from '@airlock/contracts';

/** The store's answer to a create-only PUT whose object exists (the source was uploaded). */
export const ALREADY_UPLOADED = 412;

export class AirlockApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'AirlockApiError';
  }
}

export interface ClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly fetch?: typeof fetch;
}

const FINAL_STATES = new Set(['ready', 'failed_terminal', 'failed_retryable', 'expired', 'deleted']);
/** A rate-limited call (429 with Retry-After) is sent again this many times before its 429 is the answer. */
const RATE_LIMIT_RETRIES = 3;
/** How long one request of waitFor lets the api hold its answer (the api caps it at 30 s). */
const LONG_POLL_SEC = 25;

/** The chat backend's view of the REST API. Works in Node 20 and browsers (fetch only). */
export class AirlockClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** The pipeline key senders wrap content keys to. */
  async pipelineKey(): Promise<JWK> {
    const { keys } = await this.call<{ keys: JWK[] }>('GET', '/v1/keys');
    if (!keys[0]) throw new AirlockApiError(500, 'no_pipeline_key', 'GET /v1/keys returned no key');
    return keys[0];
  }

  createMedia(body: CreateMediaRequest, idempotencyKey?: string): Promise<CreateMediaResponse> {
    return this.call('POST', '/v1/media', body, idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {});
  }

  uploadComplete(id: string): Promise<{ id: string; state: string }> {
    return this.call('POST', `/v1/media/${encodeURIComponent(id)}/upload-complete`);
  }

  getMedia(id: string): Promise<MediaView> {
    return this.call('GET', `/v1/media/${encodeURIComponent(id)}`);
  }

  listMedia(query: { roomId?: string; limit?: number; cursor?: string } = {}): Promise<MediaList> {
    const params = new URLSearchParams(Object.entries(query).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])));
    return this.call('GET', `/v1/media${params.size ? `?${params}` : ''}`);
  }

  timeline(id: string): Promise<{ id: string; events: { at: string; type: string; from: string | null; to: string | null; reason: string | null }[] }> {
    return this.call('GET', `/v1/media/${encodeURIComponent(id)}/timeline`);
  }

  deleteMedia(id: string): Promise<{ id: string; state: string }> {
    return this.call('DELETE', `/v1/media/${encodeURIComponent(id)}`);
  }

  /**
   * PUT the bytes to the presigned URL the API returned, with this client's fetch: for browsers,
   * whose fetch streams a body. Node 20's fetch reads a streamed body into memory whatever the
   * socket takes (undici issue 4058): in Node use `uploadFile` from the SDK's node entry.
   * `upload.headers` go as they are: the URL is signed for them (the declared length and sha256,
   * create-only). A 412 means the source is already there, and as the store takes only the
   * declared bytes for it, an upload tried again after a lost answer counts as done.
   */
  async upload(upload: CreateMediaResponse['upload'], body: BodyInit, sizeBytes: number): Promise<void> {
    const init: RequestInit & { duplex?: 'half' } = {
      method: upload.method,
      headers: { ...upload.headers, 'Content-Length': String(sizeBytes) },
      body,
      duplex: 'half',
    };
    const res = await this.fetch(upload.url, init);
    if (!res.ok && res.status !== ALREADY_UPLOADED) throw new AirlockApiError(res.status, 'upload_failed', `storage answered ${res.status}`);
  }

  /**
   * The media's view once it differs from the one whose ETag is `etag`: the api holds the answer
   * up to `waitSec` (a long poll: If-None-Match + Prefer: wait). Undefined when it did not change.
   */
  async getMediaChange(id: string, etag?: string, waitSec = 0): Promise<{ media: MediaView; etag?: string } | undefined> {
    const headers: Record<string, string> = etag ? { 'If-None-Match': etag, ...(waitSec > 0 ? { Prefer: `wait=${waitSec}` } : {}) } : {};
    const res = await this.send('GET', `/v1/media/${encodeURIComponent(id)}`, undefined, headers);
    if (res.status === 304) return undefined;
    return { media: await json<MediaView>(res), etag: res.headers.get('etag') ?? undefined };
  }

  /**
   * Wait until the media reaches a final state (or `until` says stop), reporting each view. Each
   * request is a long poll that the api answers when the media changes; against a server that
   * sends no ETag it polls every `intervalMs`. A dropped connection or a 5xx (an api restarting
   * under a deploy) is tried again after `intervalMs` until the timeout.
   */
  async waitFor(
    id: string,
    opts: { timeoutMs: number; intervalMs?: number; onUpdate?: (m: MediaView) => void; until?: (m: MediaView) => boolean },
  ): Promise<MediaView> {
    const deadline = Date.now() + opts.timeoutMs;
    const done = opts.until ?? ((m: MediaView) => FINAL_STATES.has(m.state));
    let last: { media: MediaView; etag?: string } | undefined;
    for (;;) {
      const waitSec = Math.min(LONG_POLL_SEC, Math.ceil((deadline - Date.now()) / 1000));
      let next: { media: MediaView; etag?: string } | undefined;
      try {
        next = await this.getMediaChange(id, last?.etag, Math.max(0, waitSec));
      } catch (e) {
        if (!transient(e) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
        continue;
      }
      if (next) {
        last = next;
        opts.onUpdate?.(next.media);
        if (done(next.media)) return next.media;
      }
      if (Date.now() > deadline) throw new Error(`media ${id} still ${last?.media.state ?? 'unknown'} after ${opts.timeoutMs} ms`);
      if (!last?.etag) await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
    }
  }

  private async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    return json<T>(await this.send(method, path, body, headers));
  }

  /** One call; a 429 (the api's rate limit, answered before anything ran) is sent again after its Retry-After, a few times. */
  private async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    for (let tries = 1; ; tries++) {
      const res = await this.fetch(new URL(path, this.options.baseUrl), {
        method,
        headers: { Authorization: `Bearer ${this.options.apiKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const retryAfterSec = res.status === 429 ? Number(res.headers.get('retry-after')) : NaN;
      if (!Number.isFinite(retryAfterSec) || retryAfterSec < 0 || tries > RATE_LIMIT_RETRIES) return res;
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, Math.min(retryAfterSec, 60) * 1000));
    }
  }
}

/** Worth another try: the request never got an answer, or the api failed on its side. */
function transient(e: unknown): boolean {
  return e instanceof AirlockApiError ? e.status >= 500 : e instanceof TypeError;
}

/** The body as JSON, or the api's error as an AirlockApiError. */
async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    throw new AirlockApiError(res.status, err?.code ?? 'http_error', err?.message ?? res.statusText, err?.details);
  }
  return parsed as T;
}

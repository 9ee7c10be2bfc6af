import type { JWK } from 'jose';
import { GrantResponse, HeartbeatResponse, UploadResponse } from '@airlock/contracts';
import { generateX25519KeyPair, signJobToken, unwrapKey } from '@airlock/crypto';
import { HandBackError, TerminalError } from '@airlock/queue';
import { traceHeaders } from '@airlock/telemetry';

export interface GrantIds {
  readonly attemptId: string;
  readonly mediaId: string;
  readonly jobId: string;
  readonly taskId: string;
}

/** How an attempt ended, told to the api when the grant is released. */
export interface AttemptOutcome {
  readonly ok: boolean;
  readonly code?: string;
}

export interface UploadFile {
  readonly kind: 'init' | 'media' | 'file';
  readonly rendition: string;
  readonly segmentIndex: number;
  readonly sha256: string;
  /** Each URL is bound to the file's sha256 and this exact length, and creates its object once. */
  readonly sizeBytes: number;
}

const RETRYABLE_REFUSALS = new Set(['token_expired', 'grant_expired']);
const SERVER_ERROR_RETRIES = 4;
/** An api call that has not answered in this long fails (the attempt is retried), rather than holding the attempt. */
const API_TIMEOUT_MS = 60_000;

/** What one attempt holds while its grant lives. Keys are zeroed by `wipe()`. */
export interface AttemptGrant {
  readonly grantId: string;
  readonly contentKey: Uint8Array;
  readonly outputKey: Uint8Array;
  readonly outputKeyId: string;
  readonly source: GrantResponse['source'];
  /** Nothing the attempt does with the grant can succeed after this: its reads of the source stop here. */
  readonly expiresAt: Date;
  uploadUrls(files: readonly UploadFile[]): Promise<UploadResponse['uploads']>;
  /** Tell the api the attempt is alive; `live: false` means stop now. */
  heartbeat(): Promise<HeartbeatResponse>;
  release(outcome?: AttemptOutcome): Promise<boolean>;
  wipe(): void;
}

/**
 * The worker side of the grant exchange: a fresh X25519 key pair per attempt, a job token
 * signed with the fleet key, and keys that arrive wrapped to that attempt alone.
 */
export class GrantClient {
  constructor(
    private readonly apiUrl: string,
    private readonly signingJwk: JWK,
    private readonly workerId: string,
    private readonly ttlSec: number,
    /** How long a quarantined worker stands down before it asks again. */
    private readonly standDownMs = 60_000,
  ) {}

  /** `policyTtlSec`: the tenant's worker_key_ttl_seconds from the job; the shorter of it and ours wins. */
  async acquire(ids: GrantIds, policyTtlSec?: number, queueJob?: { queue: string; id: string }): Promise<AttemptGrant> {
    const ephemeral = await generateX25519KeyPair();
    const ttl = Math.min(this.ttlSec, policyTtlSec ?? this.ttlSec);
    const token = await signJobToken({ workerId: this.workerId, ...ids }, this.signingJwk, ttl);
    const grant = await this.post<GrantResponse>('/v1/grants', { token, ephemeralPublicJwk: ephemeral.publicJwk, queueJob });
    const contentKey = await unwrapKey(grant.contentKeyJwe, ephemeral.privateJwk);
    const outputKey = await unwrapKey(grant.outputKeyJwe, ephemeral.privateJwk);
    let released = false;
    return {
      grantId: grant.grantId,
      contentKey,
      outputKey,
      outputKeyId: grant.outputKeyId,
      source: grant.source,
      expiresAt: new Date(grant.expiresAt),
      uploadUrls: async (files) => (await this.post<UploadResponse>(`/v1/grants/${grant.grantId}/uploads`, { token, files })).uploads,
      heartbeat: async () => {
        const res = await this.send('POST', `/v1/grants/${grant.grantId}/heartbeat`, { token }).catch(() => undefined);
        // An api that cannot answer is not a verdict: the attempt goes on, the watchdog judges silence.
        return res?.ok ? ((await res.json()) as HeartbeatResponse) : { live: true };
      },
      release: async (outcome) => {
        if (released) return true;
        const res = await this.send('DELETE', `/v1/grants/${grant.grantId}`, { token, outcome }).catch(() => undefined);
        released = res?.ok ?? false;
        return released;
      },
      wipe: () => {
        contentKey.fill(0);
        outputKey.fill(0);
      },
    };
  }

  /** One call to the api: a JSON body, the trace context, and API_TIMEOUT_MS to answer in. */
  private send(method: 'POST' | 'DELETE', path: string, body: unknown): Promise<Response> {
    return fetch(new URL(path, this.apiUrl), { method, headers: jsonHeaders(), body: JSON.stringify(body), signal: AbortSignal.timeout(API_TIMEOUT_MS) });
  }

  /**
   * A refusal no retry can fix (stale attempt, deleted media, a key the api does not trust) is
   * terminal; an expired token or grant is not: the next attempt brings a fresh one.
   */
  private async post<T>(path: string, body: unknown): Promise<T> {
    let res = await this.send('POST', path, body);
    // The api said it failed (a burst of exchanges, a restart): nothing was recorded, so the same
    // request is safe to send again, a few times with backoff, before the try is spent.
    // So is a rate limit's 429 (refused before anything ran), after the Retry-After it names.
    for (let retry = 0; (res.status >= 500 || res.status === 429) && retry < SERVER_ERROR_RETRIES; retry++) {
      await new Promise((r) => setTimeout(r, retryAfterMs(res) ?? 250 * 2 ** retry * (0.5 + Math.random())));
      res = await this.send('POST', path, body);
    }
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (res.ok) return json as T;
    const code = json.error?.code ?? `http_${res.status}`;
    const message = `grant exchange refused: ${json.error?.message ?? res.statusText}`;
    // Not the task's fault: it goes to another worker while this one waits for an operator.
    if (code === 'worker_quarantined') throw new HandBackError(code, message, { standDownMs: this.standDownMs });
    // Another worker must do this one (a duplicate's twin is ours): back to the queue, a little later.
    if (code === 'needs_other_worker') throw new HandBackError(code, message, { delayMs: 1000 });
    // Still over the api's rate limit: back to the queue, no try spent, after the limit's window.
    if (res.status === 429) throw new HandBackError(code, message, { delayMs: retryAfterMs(res) ?? 1000 });
    // The media finished (ready, failed, deleted) before this attempt began: no work, no dead letter.
    if (code === 'media_not_processing') throw new TerminalError(code, message, { deadLetter: false });
    if (res.status >= 400 && res.status < 500 && !RETRYABLE_REFUSALS.has(code)) throw new TerminalError(code, message);
    throw new Error(`${code}: ${message}`);
  }
}

/** A 429's Retry-After (seconds) in milliseconds, capped at a minute and jittered so workers do not come back together. */
function retryAfterMs(res: Response): number | undefined {
  const sec = res.status === 429 ? Number(res.headers.get('retry-after')) : NaN;
  return Number.isFinite(sec) && sec >= 0 ? Math.min(sec, 60) * 1000 * (1 + Math.random() / 4) : undefined;
}

/** JSON, plus the active trace context so the api's spans join the attempt's trace. */
function jsonHeaders(): Record<string, string> {
  return traceHeaders({ 'Content-Type': 'application/json' });
}

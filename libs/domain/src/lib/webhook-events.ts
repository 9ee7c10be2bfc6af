import { MediaState } from './media-state';

/** Event types as a chat backend names them (the recipient's view, not the pipeline's). */
export const WEBHOOK_EVENT_TYPES = ['preparing', 'preview_available', 'ready', 'failed', 'expired', 'removed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * The event a media emits on entering `state`, or none. Internal steps (upload, processing,
 * verifying) say nothing a recipient could act on; `queued` is the media accepted for
 * processing, again after a re-drive.
 */
export function webhookEventFor(state: MediaState): WebhookEventType | undefined {
  switch (state) {
    case 'queued':
      return 'preparing';
    case 'preview_ready':
      return 'preview_available';
    case 'ready':
      return 'ready';
    case 'failed_retryable':
    case 'failed_terminal':
      return 'failed';
    case 'expired':
      return 'expired';
    case 'deleted':
      return 'removed';
    case 'created':
    case 'uploaded':
    case 'processing':
    case 'verifying':
      return undefined;
  }
}

export interface WebhookRetryPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  readonly maxAttempts: number;
}

export const DEFAULT_WEBHOOK_RETRY: WebhookRetryPolicy = { baseMs: 1000, capMs: 10 * 60_000, maxAttempts: 12 };

/**
 * When to try again after `attempts` failed deliveries (1 after the first failure):
 * exponential, capped, with up to 20% subtracted at random so replicas and tenants whose
 * receivers failed together do not retry in lockstep. Never above the cap, always growing
 * until it reaches it. Undefined once the attempts are used up (the event is failed, replayable).
 */
export function webhookRetryDelayMs(attempts: number, policy: WebhookRetryPolicy, random: () => number = Math.random): number | undefined {
  if (attempts >= policy.maxAttempts) return undefined;
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp * (1 - 0.2 * random()));
}

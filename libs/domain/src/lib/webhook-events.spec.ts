import { MEDIA_STATES, MediaState } from './media-state';
import { DEFAULT_WEBHOOK_RETRY, WEBHOOK_EVENT_TYPES, webhookEventFor, webhookRetryDelayMs } from './webhook-events';

describe('webhook events', () => {
  it('names the states a recipient can act on and nothing else', () => {
    const emitted = Object.fromEntries(MEDIA_STATES.map((s) => [s, webhookEventFor(s)]));
    expect(emitted).toEqual({
      created: undefined,
      uploaded: undefined,
      queued: 'preparing',
      processing: undefined,
      preview_ready: 'preview_available',
      verifying: undefined,
      ready: 'ready',
      failed_retryable: 'failed',
      failed_terminal: 'failed',
      expired: 'expired',
      deleted: 'removed',
    } satisfies Record<MediaState, string | undefined>);
  });

  it('emits every event type from some state', () => {
    const types = new Set(MEDIA_STATES.map(webhookEventFor));
    for (const t of WEBHOOK_EVENT_TYPES) expect(types).toContain(t);
  });
});

describe('webhook retry delay', () => {
  const policy = DEFAULT_WEBHOOK_RETRY;

  it('doubles from the base after each failure, without jitter at random = 0', () => {
    expect([1, 2, 3, 4].map((n) => webhookRetryDelayMs(n, policy, () => 0))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('takes at most a fifth off at random and still grows until the cap', () => {
    expect(webhookRetryDelayMs(1, policy, () => 1)).toBe(800);
    for (let n = 1; n < 9; n++) expect(webhookRetryDelayMs(n + 1, policy, () => 1)).toBeGreaterThan(webhookRetryDelayMs(n, policy, () => 0) ?? Infinity);
  });

  it('never waits longer than the cap', () => {
    expect(webhookRetryDelayMs(11, policy, () => 0)).toBe(10 * 60_000);
    expect(webhookRetryDelayMs(11, { ...policy, maxAttempts: 100 }, () => 0.5)).toBeLessThanOrEqual(10 * 60_000);
    expect(webhookRetryDelayMs(60, { ...policy, maxAttempts: 100 }, () => 0)).toBe(10 * 60_000);
  });

  it('gives up after the last attempt', () => {
    expect(webhookRetryDelayMs(12, policy)).toBeUndefined();
    expect(webhookRetryDelayMs(11, policy)).toBeDefined();
  });
});

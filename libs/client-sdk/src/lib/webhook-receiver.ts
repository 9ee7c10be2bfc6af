import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER, WebhookVerification } from '@airlock/crypto/node';

/** Fetch `Headers` or Node's `req.headers` (lower-case keys). */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

function headerOf(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof headers.get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const v = (headers as Record<string, string | string[] | undefined>)[name.toLowerCase()];
  // A repeated signature header is ambiguous: treated as malformed.
  return Array.isArray(v) ? undefined : v;
}

/**
 * For chat backends (Node): checks an Airlock delivery against the endpoint's secret. Pass the raw
 * body exactly as received, before any JSON parsing; on `ok`, parse it as a `WebhookEventBody`
 * and deduplicate on its `id`.
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  rawBody: string | Uint8Array,
  options?: { readonly toleranceSec?: number; readonly now?: Date },
): WebhookVerification {
  return verifyWebhookSignature(secret, headerOf(headers, WEBHOOK_SIGNATURE_HEADER), rawBody, options);
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `Airlock-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is signed with the body so a captured delivery cannot be replayed later than the
 * receiver's tolerance; the secret string as a whole (`whsec_...`) is the HMAC key.
 * Node only (timingSafeEqual): receivers are chat backends, not browsers.
 */
export const WEBHOOK_SIGNATURE_HEADER = 'Airlock-Signature';
export const WEBHOOK_EVENT_ID_HEADER = 'Airlock-Event-Id';
export const WEBHOOK_TOLERANCE_SEC = 300;

export type WebhookSignatureRefusal = 'malformed' | 'stale_timestamp' | 'bad_signature';

export type WebhookVerification = { readonly ok: true; readonly timestamp: number } | { readonly ok: false; readonly reason: WebhookSignatureRefusal };

function hmacHex(secret: string, timestamp: number, rawBody: string | Uint8Array): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(rawBody);
  return mac.digest('hex');
}

/** The header value for `rawBody`, signed at `now`. */
export function signWebhook(secret: string, rawBody: string | Uint8Array, now: Date = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

/**
 * Checks a signature header against the raw body exactly as received (parse JSON only after).
 * Several `v1` values are accepted, so a sender may sign with an old and a new secret while
 * rotating.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  rawBody: string | Uint8Array,
  options: { readonly toleranceSec?: number; readonly now?: Date } = {},
): WebhookVerification {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - parsed.timestamp) > (options.toleranceSec ?? WEBHOOK_TOLERANCE_SEC)) return { ok: false, reason: 'stale_timestamp' };
  const expected = Buffer.from(hmacHex(secret, parsed.timestamp, rawBody), 'hex');
  const match = parsed.signatures.some((s) => s.length === expected.length && timingSafeEqual(s, expected));
  return match ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: 'bad_signature' };
}

function parseSignatureHeader(header: string | undefined): { timestamp: number; signatures: Buffer[] } | undefined {
  if (!header || header.length > 1024) return undefined;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [k, v, ...rest] = part.trim().split('=');
    if (rest.length > 0 || v === undefined) return undefined;
    if (k === 't') {
      if (!/^\d{1,12}$/.test(v) || timestamp !== undefined) return undefined;
      timestamp = Number(v);
    } else if (k === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(v)) return undefined;
      signatures.push(Buffer.from(v, 'hex'));
    }
    // Other schemes (v0, a future v2) are ignored, not refused.
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

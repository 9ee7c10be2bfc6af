import { AddressKind, classifyAddress, classifyParsed, ParsedAddress } from './network-address';

/**
 * Where a tenant may have its webhooks sent. A tenant chooses the URL and the pipeline makes
 * the request from inside its own network, so a private, loopback, link-local or metadata
 * target would let a tenant reach the pipeline's services, the host, or the cloud's metadata
 * service (and learn from the errors which ports are open). Judged twice: on the URL when the
 * endpoint is set, and on every resolved address before each delivery.
 */
export interface WebhookTargetPolicy {
  /** Private targets too (local development only: refused in production by the config). */
  readonly allowPrivate: boolean;
  /** Plain http refused (production): the TLS check of the receiver's name is what binds a delivery to the tenant. */
  readonly requireHttps: boolean;
}

export type WebhookTargetRefusal =
  | { readonly reason: 'invalid_url' | 'scheme' | 'userinfo' | 'insecure_http' | 'local_name' }
  | { readonly reason: 'forbidden_address'; readonly kind: AddressKind };

/** Names that resolve inside the pipeline's own network by convention (mDNS, cluster DNS, split-horizon). */
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'home.arpa'];

/** Why the URL is not an allowed webhook target, or undefined when it is (its name still gets resolved and judged at delivery). */
export function webhookUrlRefusal(url: string, policy: WebhookTargetPolicy): WebhookTargetRefusal | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { reason: 'invalid_url' };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return { reason: 'scheme' };
  if (parsed.username !== '' || parsed.password !== '') return { reason: 'userinfo' };
  if (policy.requireHttps && parsed.protocol !== 'https:') return { reason: 'insecure_http' };
  if (policy.allowPrivate) return undefined;
  // The URL parser has already turned 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1.
  const host = parsed.hostname.replace(/\.$/, '').toLowerCase();
  const kind = classifyAddress(host);
  if (kind !== undefined) return kind === 'public' ? undefined : { reason: 'forbidden_address', kind };
  if (!host.includes('.') || LOCAL_SUFFIXES.some((s) => host === s || host.endsWith(`.${s}`))) return { reason: 'local_name' };
  return undefined;
}

/** Whether a resolved address may be connected to under the policy. */
export function webhookAddressAllowed(address: ParsedAddress, policy: WebhookTargetPolicy): boolean {
  return policy.allowPrivate || classifyParsed(address) === 'public';
}

/** What a tenant is told about a failed delivery: a class, never the socket's error (which names addresses and ports). */
export type WebhookDeliveryError = 'unreachable' | 'timeout' | 'forbidden_target' | 'tls_error' | `http_${number}`;

/** A receiver's non-2xx answer. */
export const httpDeliveryError = (status: number): WebhookDeliveryError => `http_${status}`;

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|HOSTNAME_MISMATCH$|ERR_OSSL_)/;

/**
 * The class of a failed send from what the network stack threw (its code or name), or of a
 * stored error written before errors were classes: anything unknown is `unreachable`.
 */
export function webhookDeliveryErrorOf(codeOrName: string | null | undefined): WebhookDeliveryError {
  if (!codeOrName) return 'unreachable';
  if (/^http_[1-5][0-9]{2}$/.test(codeOrName)) return codeOrName as WebhookDeliveryError;
  if (codeOrName === 'timeout' || codeOrName === 'TimeoutError' || codeOrName === 'AbortError' || codeOrName === 'ETIMEDOUT' || codeOrName === 'UND_ERR_CONNECT_TIMEOUT' || codeOrName === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout';
  if (codeOrName === 'forbidden_target' || codeOrName === 'tls_error' || codeOrName === 'unreachable') return codeOrName;
  if (TLS_CODE.test(codeOrName)) return 'tls_error';
  return 'unreachable';
}

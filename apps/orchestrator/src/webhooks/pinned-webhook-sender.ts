import { lookup } from 'node:dns/promises';
import { request as httpRequest, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { parseIpLiteral, webhookAddressAllowed, WebhookDeliveryError, webhookDeliveryErrorOf, WebhookTargetPolicy, webhookUrlRefusal } from '@airlock/domain';

export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

/** Sends one delivery and answers the HTTP status; throws when no answer came (a WebhookDeliveryFailure from the real sender). */
export type WebhookSender = (request: WebhookRequest) => Promise<number>;

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Every address a host name resolves to (the adapter over DNS; tests inject names of their own). */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: HostResolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** A delivery that got no answer, by class: what the tenant is shown (never the socket's message, which names addresses and ports). */
export class WebhookDeliveryFailure extends Error {
  constructor(readonly errorClass: WebhookDeliveryError) {
    super(`webhook delivery failed: ${errorClass}`);
    this.name = 'WebhookDeliveryFailure';
  }
}

/**
 * The real sender. The URL is judged again (it may predate the rules), its name is resolved and
 * every address judged, and the connection goes to those checked addresses only: the socket's
 * lookup answers them instead of asking DNS again, so a name cannot resolve to a public address
 * for the check and a private one for the request (DNS rebinding). The Host header and the TLS
 * server name stay the URL's. Redirects are not followed (a 3xx is not an acknowledgement),
 * connections are not pooled, the answer's body is not read.
 */
export function pinnedWebhookSender(policy: WebhookTargetPolicy, resolve: HostResolver = systemResolver): WebhookSender {
  return async (req) => {
    const deadline = AbortSignal.timeout(req.timeoutMs);
    try {
      if (webhookUrlRefusal(req.url, policy)) throw new WebhookDeliveryFailure('forbidden_target');
      const url = new URL(req.url);
      const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
      const literal = parseIpLiteral(hostname);
      const addresses = literal ? [{ address: hostname, family: literal.family }] : await untilAborted(resolve(hostname), deadline);
      if (addresses.length === 0) throw new WebhookDeliveryFailure('unreachable');
      for (const a of addresses) {
        const parsed = parseIpLiteral(a.address);
        if (!parsed || !webhookAddressAllowed(parsed, policy)) throw new WebhookDeliveryFailure('forbidden_target');
      }
      return await post(url, hostname, addresses, req, deadline);
    } catch (e) {
      if (e instanceof WebhookDeliveryFailure) throw e;
      if (deadline.aborted) throw new WebhookDeliveryFailure('timeout');
      const err = e as { code?: unknown; name?: unknown };
      throw new WebhookDeliveryFailure(webhookDeliveryErrorOf(typeof err?.code === 'string' ? err.code : typeof err?.name === 'string' ? err.name : undefined));
    }
  };
}

function post(url: URL, hostname: string, addresses: readonly ResolvedAddress[], req: WebhookRequest, signal: AbortSignal): Promise<number> {
  // Only ever the addresses judged above, whatever the socket asks for.
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, addresses.map((a) => ({ address: a.address, family: a.family })));
    else callback(null, addresses[0].address, addresses[0].family);
  };
  const options: RequestOptions = {
    method: 'POST',
    hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: { ...req.headers, 'Content-Length': String(Buffer.byteLength(req.body)) },
    lookup: pinned,
    agent: false,
    signal,
  };
  return new Promise<number>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    request.on('error', reject);
    request.end(req.body);
  });
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new WebhookDeliveryFailure('timeout'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

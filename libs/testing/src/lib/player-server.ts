import { createReadStream, readFileSync } from 'node:fs';
import {
  Agent as HttpAgent,
  type IncomingMessage,
  type ServerResponse,
  createServer,
  request as httpRequest,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { dirname, join, normalize, sep } from 'node:path';
import { closeServer, listenLocal } from './http-util';

export interface PlayerServerOptions {
  /** Where /media/* is fetched from, e.g. http://127.0.0.1:9000/bucket (a trailing slash is ignored). */
  upstreamBaseUrl: string;
}

export interface ProxiedRequest {
  /** Path below /media/, with its query string, as the page asked for it. */
  path: string;
  /** Upstream status, or 502 when the upstream could not be reached. */
  status: number;
}

export interface PlayerServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  baseUrl: string;
  /** Every /media/* request the page made, in order. */
  mediaRequests: ProxiedRequest[];
  /** Every POST /license the page made, in order. */
  licenseRequests: LicenseRequest[];
  close(): Promise<void>;
}

/** ClearKey keys: key id (32 hex digits) to key (32 hex digits). */
export type ClearKeys = Record<string, string>;

export interface LicenseRequest {
  /** Key ids the CDM asked for, lowercase hex. */
  kids: string[];
  /** The subset of kids the license carried. */
  granted: string[];
  /** 200 with a license, 400 for an unreadable request, 403 when no asked-for key is known. */
  status: number;
}

/** The ClearKey JSON Web Key Set a license answers with (W3C EME, "Clear Key"). */
export interface ClearKeyLicense {
  keys: { kty: 'oct'; k: string; kid: string }[];
  type: 'temporary';
}

const HEX_128 = /^[0-9a-f]{32}$/;
/** Largest license request body read; a real one is well under 1 KiB. */
const MAX_LICENSE_REQUEST = 64 * 1024;

/** Lowercased copy of keys; throws when a key id or key is not 32 hex digits. */
export function normalizeClearKeys(keys: ClearKeys): ClearKeys {
  const out: ClearKeys = {};
  for (const [kid, key] of Object.entries(keys)) {
    const k = kid.toLowerCase();
    const v = key.toLowerCase();
    if (!HEX_128.test(k))
      throw new Error(`clear key id "${kid}" is not 32 hex digits`);
    if (!HEX_128.test(v))
      throw new Error(`clear key for "${kid}" is not 32 hex digits`);
    out[k] = v;
  }
  return out;
}

/** "kid:key,kid:key" (lowercase hex), the form /license?keys= and play.html take. */
export function formatClearKeys(keys: ClearKeys): string {
  return Object.entries(normalizeClearKeys(keys))
    .map(([kid, key]) => `${kid}:${key}`)
    .join(',');
}

/** Inverse of formatClearKeys; throws on anything else. "" is no keys. */
export function parseClearKeys(value: string): ClearKeys {
  const keys: ClearKeys = {};
  for (const pair of value.split(',').filter((p) => p !== '')) {
    const [kid, key, ...rest] = pair.split(':');
    if (key === undefined || rest.length > 0)
      throw new Error(`"${pair}" is not kid:key`);
    keys[kid] = key;
  }
  return normalizeClearKeys(keys);
}

export function hexToBase64Url(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64url');
}

export function base64UrlToHex(value: string): string {
  return Buffer.from(value, 'base64url').toString('hex');
}

/**
 * Answers a ClearKey license request (the CDM's message: {"kids":[base64url...],"type":...}) with the
 * known keys among those asked for. granted is empty when none is known; throws when the request is
 * not a ClearKey request.
 */
export function clearKeyLicense(
  request: unknown,
  keys: ClearKeys,
): { kids: string[]; granted: string[]; license: ClearKeyLicense } {
  const kidsValue: unknown =
    request && typeof request === 'object'
      ? (request as Record<string, unknown>)['kids']
      : undefined;
  if (
    !Array.isArray(kidsValue) ||
    kidsValue.some((k) => typeof k !== 'string')
  ) {
    throw new Error('not a ClearKey license request: no "kids" array');
  }
  const kids = (kidsValue as string[]).map(base64UrlToHex);
  const known = normalizeClearKeys(keys);
  const granted = kids.filter((kid) => known[kid] !== undefined);
  return {
    kids,
    granted,
    license: {
      keys: granted.map((kid) => ({
        kty: 'oct',
        k: hexToBase64Url(known[kid]),
        kid: hexToBase64Url(kid),
      })),
      type: 'temporary',
    },
  };
}

/** Player scripts served from the workspace's node_modules. */
const SCRIPTS: Record<string, string> = {
  '/hls.js': 'hls.js/dist/hls.min.js',
  '/shaka.js': 'shaka-player/dist/shaka-player.compiled.js',
};

/**
 * jose's browser build (ESM, WebCrypto only), served under /jose/ for the page's recipient-mode
 * unwrap: the same library and version @airlock/crypto uses in Node.
 */
export const JOSE_BROWSER_PREFIX = '/jose/';

let joseBrowserRoot: string | undefined;
/** node_modules/jose/dist/browser, or undefined when jose cannot be resolved. */
function joseBrowserDir(): string | undefined {
  if (joseBrowserRoot === undefined) {
    try {
      joseBrowserRoot = join(
        dirname(require.resolve('jose/package.json')),
        'dist',
        'browser',
      );
    } catch {
      return undefined;
    }
  }
  return joseBrowserRoot;
}

/**
 * The file under jose's browser build a /jose/... path names, or undefined for anything that is not
 * a .js file inside it (no "..", no absolute paths, no encoded tricks).
 */
export function joseBrowserFile(pathname: string): string | undefined {
  if (!pathname.startsWith(JOSE_BROWSER_PREFIX)) return undefined;
  let rel: string;
  try {
    rel = decodeURIComponent(pathname.slice(JOSE_BROWSER_PREFIX.length));
  } catch {
    return undefined;
  }
  if (!rel.endsWith('.js') || rel.includes('\\') || rel.includes('\0'))
    return undefined;
  const root = joseBrowserDir();
  if (root === undefined) return undefined;
  const file = normalize(join(root, rel));
  return file.startsWith(root + sep) ? file : undefined;
}

/** Headers passed from the upstream response to the page. */
const PASSED_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
];

let playPage: string | undefined;
function playPageHtml(): string {
  playPage ??= readFileSync(join(__dirname, 'play.html'), 'utf8');
  return playPage;
}

function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'cache-control': 'no-store',
  });
  res.end(body);
}

function serveScript(res: ServerResponse, modulePath: string): void {
  let file: string;
  try {
    file = require.resolve(modulePath);
  } catch {
    return sendText(res, 500, `cannot resolve ${modulePath}\n`);
  }
  serveFile(res, file);
}

function serveFile(res: ServerResponse, file: string): void {
  const stream = createReadStream(file);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (res.headersSent) return void res.destroy();
    sendText(
      res,
      err.code === 'ENOENT' || err.code === 'EISDIR' ? 404 : 500,
      'not found\n',
    );
  });
  stream.on('open', () => {
    res.writeHead(200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-store',
    });
    stream.pipe(res);
  });
}

/**
 * A same-origin home for a browser player under test: /play.html (the harness page), /hls.js and
 * /shaka.js (from node_modules), /jose/*.js (jose's browser build, for the page's own key unwrap in
 * recipient mode), /media/* proxied with plain GETs to upstreamBaseUrl/*, status and
 * content type passed through, and POST /license?keys=kid:key,... a ClearKey license endpoint that
 * answers the CDM's request with the asked-for keys among those in its query (stateless, so one
 * server serves calls with different keys). Listens on 127.0.0.1 on a free port.
 */
export async function startPlayerServer(
  options: PlayerServerOptions,
): Promise<PlayerServer> {
  const upstream = new URL(options.upstreamBaseUrl.replace(/\/+$/, ''));
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') {
    throw new Error(
      `upstreamBaseUrl must be http(s), got ${options.upstreamBaseUrl}`,
    );
  }
  const isHttps = upstream.protocol === 'https:';
  const agent = isHttps
    ? new HttpsAgent({ keepAlive: true })
    : new HttpAgent({ keepAlive: true });
  const upstreamBase = upstream.href.replace(/\/+$/, '');
  const mediaRequests: ProxiedRequest[] = [];
  const licenseRequests: LicenseRequest[] = [];

  const proxy = (req: IncomingMessage, res: ServerResponse, path: string) => {
    const entry: ProxiedRequest = { path, status: 0 };
    mediaRequests.push(entry);
    const headers: Record<string, string> = {};
    if (req.headers.range) headers['range'] = req.headers.range;
    const send = isHttps ? httpsRequest : httpRequest;
    const upstreamReq = send(
      `${upstreamBase}/${path}`,
      { method: req.method, agent, headers },
      (up) => {
        entry.status = up.statusCode ?? 502;
        const passed: Record<string, string | string[]> = {
          'cache-control': 'no-store',
        };
        for (const name of PASSED_HEADERS) {
          const value = up.headers[name];
          if (value !== undefined) passed[name] = value;
        }
        res.writeHead(entry.status, passed);
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
    );
    upstreamReq.on('error', (err) => {
      entry.status = 502;
      if (res.headersSent) return void res.destroy();
      sendText(res, 502, `upstream error: ${err.message}\n`);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    upstreamReq.end();
  };

  const license = (req: IncomingMessage, res: ServerResponse) => {
    const entry: LicenseRequest = { kids: [], granted: [], status: 0 };
    licenseRequests.push(entry);
    const fail = (status: number, message: string) => {
      entry.status = status;
      sendText(res, status, `${message}\n`);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_LICENSE_REQUEST) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (size > MAX_LICENSE_REQUEST)
        return fail(413, 'license request too large');
      let answer: ReturnType<typeof clearKeyLicense>;
      try {
        const query = new URL(req.url ?? '/', 'http://x').searchParams;
        const keys = parseClearKeys(query.get('keys') ?? '');
        answer = clearKeyLicense(
          JSON.parse(Buffer.concat(chunks).toString('utf8')),
          keys,
        );
      } catch (err) {
        return fail(400, err instanceof Error ? err.message : String(err));
      }
      entry.kids = answer.kids;
      entry.granted = answer.granted;
      if (answer.granted.length === 0)
        return fail(403, `no key for key id(s) ${answer.kids.join(', ')}`);
      entry.status = 200;
      sendText(
        res,
        200,
        JSON.stringify(answer.license),
        'application/json; charset=utf-8',
      );
    });
  };

  const server = createServer((req, res) => {
    if (req.method === 'POST' && (req.url ?? '/').split('?')[0] === '/license')
      return license(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendText(res, 405, 'method not allowed\n');
    const rawUrl = req.url ?? '/';
    const pathname = rawUrl.split('?')[0];
    if (pathname.startsWith('/media/'))
      return proxy(req, res, rawUrl.slice('/media/'.length));
    if (pathname === '/play.html')
      return sendText(res, 200, playPageHtml(), 'text/html; charset=utf-8');
    const script = SCRIPTS[pathname];
    if (script) return serveScript(res, script);
    if (pathname.startsWith(JOSE_BROWSER_PREFIX)) {
      const file = joseBrowserFile(pathname);
      return file ? serveFile(res, file) : sendText(res, 404, 'not found\n');
    }
    if (pathname === '/favicon.ico') return sendText(res, 204, '');
    return sendText(res, 404, 'not found\n');
  });

  const baseUrl = await listenLocal(server);
  return {
    baseUrl,
    mediaRequests,
    licenseRequests,
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}

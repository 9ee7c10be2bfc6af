import { createReadStream, readFileSync } from 'node:fs';
import {
  Agent as HttpAgent,
  type IncomingMessage,
  type ServerResponse,
  createServer,
  request as httpRequest,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join, normalize, sep } from 'node:path';
import { closeServer, contentTypeFor, listenLocal } from './http-util';
import { playerBundleDir } from './player-bundle';

export interface PlayerServerOptions {
  /** Where /media/* is fetched from, e.g. http://127.0.0.1:9000/bucket (a trailing slash is ignored). */
  upstreamBaseUrl: string;
  /** Directory of the SDK player's browser bundle; default playerBundleDir() (built when stale). */
  bundleDir?: string;
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
  /** Where /media/* goes, without a trailing slash. */
  upstreamBaseUrl: string;
  /** Every /media/* request the page made, in order. */
  mediaRequests: ProxiedRequest[];
  close(): Promise<void>;
}

/** Where the page finds the SDK player's bundle: /player/airlock-player.js and its chunks. */
export const PLAYER_PREFIX = '/player/';

/**
 * The file of the bundle a /player/... path names, or undefined for anything that is not a .js
 * file directly inside bundleDir (no subdirectories, no "..", no encoded tricks).
 */
export function bundleFile(
  bundleDir: string,
  pathname: string,
): string | undefined {
  if (!pathname.startsWith(PLAYER_PREFIX)) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(pathname.slice(PLAYER_PREFIX.length));
  } catch {
    return undefined;
  }
  if (!/^[A-Za-z0-9_.-]+\.js$/.test(name) || name.startsWith('.'))
    return undefined;
  const root = normalize(bundleDir);
  const file = normalize(join(root, name));
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
      'content-type': contentTypeFor(file),
      'cache-control': 'no-store',
    });
    stream.pipe(res);
  });
}

/**
 * A same-origin home for the SDK player under test: /play.html (the harness page), /player/*.js
 * (the SDK's browser bundle, which carries hls.js and shaka as chunks), and /media/* proxied with
 * plain GETs to upstreamBaseUrl/*, status and content type passed through. Nothing here knows or
 * serves a key: the page holds it. Listens on 127.0.0.1 on a free port.
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
  const bundleDir = options.bundleDir ?? (await playerBundleDir());
  const isHttps = upstream.protocol === 'https:';
  const agent = isHttps
    ? new HttpsAgent({ keepAlive: true })
    : new HttpAgent({ keepAlive: true });
  const upstreamBase = upstream.href.replace(/\/+$/, '');
  const mediaRequests: ProxiedRequest[] = [];

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

  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendText(res, 405, 'method not allowed\n');
    const rawUrl = req.url ?? '/';
    const pathname = rawUrl.split('?')[0];
    if (pathname.startsWith('/media/'))
      return proxy(req, res, rawUrl.slice('/media/'.length));
    if (pathname === '/play.html')
      return sendText(res, 200, playPageHtml(), 'text/html; charset=utf-8');
    if (pathname.startsWith(PLAYER_PREFIX)) {
      const file = bundleFile(bundleDir, pathname);
      return file ? serveFile(res, file) : sendText(res, 404, 'not found\n');
    }
    if (pathname === '/favicon.ico') return sendText(res, 204, '');
    return sendText(res, 404, 'not found\n');
  });

  const baseUrl = await listenLocal(server);
  return {
    baseUrl,
    upstreamBaseUrl: upstreamBase,
    mediaRequests,
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}

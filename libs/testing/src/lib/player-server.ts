import { createReadStream, readFileSync } from 'node:fs';
import {
  Agent as HttpAgent,
  type IncomingMessage,
  type ServerResponse,
  createServer,
  request as httpRequest,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
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
  close(): Promise<void>;
}

/** Player scripts served from the workspace's node_modules. */
const SCRIPTS: Record<string, string> = {
  '/hls.js': 'hls.js/dist/hls.min.js',
  '/shaka.js': 'shaka-player/dist/shaka-player.compiled.js',
};

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
  res.writeHead(200, {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'no-store',
  });
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

/**
 * A same-origin home for a browser player under test: /play.html (the harness page), /hls.js and
 * /shaka.js (from node_modules), and /media/* proxied with plain GETs to upstreamBaseUrl/*,
 * status and content type passed through. Listens on 127.0.0.1 on a free port.
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
    const script = SCRIPTS[pathname];
    if (script) return serveScript(res, script);
    if (pathname === '/favicon.ico') return sendText(res, 204, '');
    return sendText(res, 404, 'not found\n');
  });

  const baseUrl = await listenLocal(server);
  return {
    baseUrl,
    mediaRequests,
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

export interface PlayServerOptions {
  /** The example page (examples/player/index.html). */
  readonly pagePath: string;
  /** The player bundle directory, served under /player/. */
  readonly bundleDir: string;
  /** What the page gets, once, from POST /session: the media view and the recipient's key. */
  readonly session: unknown;
  /** 0 (default) picks a free port. */
  readonly port?: number;
}

export interface PlayServer {
  /** The page's address with the one-time token in its fragment (never sent to any server). */
  readonly url: string;
  /** Resolves when the session has been handed out. */
  readonly sessionTaken: Promise<void>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};
/** A token is 43 base64url characters; anything much longer is not one. */
const MAX_TOKEN_BODY = 256;

const digest = (s: string) => createHash('sha256').update(s).digest();

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  let size = 0;
  const parts: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The file below `root` a URL path names, or undefined for anything outside it. */
function fileBelow(root: string, rel: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const file = normalize(join(root, decoded));
  return file.startsWith(root + sep) ? file : undefined;
}

/**
 * The local home of `airlock receive --play`, on 127.0.0.1 only: GET / is the example page,
 * GET /player/* the player bundle, and POST /session hands the page its session (the media view
 * and the recipient's private key) exactly once, to whoever presents the random token from the
 * page URL's fragment; after that, or with another token, it answers 410 or 403. The token never
 * travels in a URL the browser sends, and nothing here logs requests.
 */
export async function startPlayServer(o: PlayServerOptions): Promise<PlayServer> {
  const page = readFileSync(o.pagePath);
  const bundleRoot = normalize(o.bundleDir);
  const token = randomBytes(32).toString('base64url');
  let session: string | undefined = JSON.stringify(o.session);
  let taken!: () => void;
  const sessionTaken = new Promise<void>((resolve) => (taken = resolve));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/session') {
      if (req.method !== 'POST') return send(res, 405, 'POST the token\n');
      const body = (await readBody(req, MAX_TOKEN_BODY))?.trim();
      if (body === undefined || !timingSafeEqual(digest(body), digest(token))) return send(res, 403, 'not this session\n');
      if (session === undefined) return send(res, 410, 'the session was handed out already\n');
      const answer = session;
      session = undefined;
      send(res, 200, answer, 'application/json; charset=utf-8');
      taken();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'read-only\n');
    if (path === '/' || path === '/index.html') return send(res, 200, page, 'text/html; charset=utf-8');
    const file = path.startsWith('/player/') ? fileBelow(bundleRoot, path.slice('/player/'.length)) : undefined;
    const found = file ? await stat(file).catch(() => undefined) : undefined;
    if (!file || !found?.isFile()) return send(res, 404, 'not found\n');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': found.size, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => (res.headersSent ? res.destroy() : send(res, 500, 'error\n')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/#session=${token}`,
    sessionTaken,
    close: () =>
      new Promise<void>((resolve) => {
        session = undefined;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

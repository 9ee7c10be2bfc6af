import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { resolve, sep } from 'node:path';
import { closeServer, contentTypeFor, listenLocal } from './http-util';

export interface StaticServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  baseUrl: string;
  /** Every request seen, as "METHOD /path -> status", in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves the files under rootDir over plain HTTP on 127.0.0.1 (GET/HEAD only, no directory
 * listings, nothing outside rootDir). Stands in for the object store in tests.
 */
export async function startStaticServer(options: {
  rootDir: string;
}): Promise<StaticServer> {
  const root = resolve(options.rootDir);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const done = (status: number, body?: string) => {
      requests.push(`${req.method ?? '?'} ${req.url ?? ''} -> ${status}`);
      if (body !== undefined) {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(body);
      }
    };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return done(405, 'method not allowed\n');
    let path: string;
    try {
      path = decodeURIComponent(
        new URL(req.url ?? '/', 'http://local').pathname,
      );
    } catch {
      return done(400, 'bad path\n');
    }
    const file = resolve(root, `.${path}`);
    if (file !== root && !file.startsWith(root + sep))
      return done(403, 'forbidden\n');
    stat(file).then(
      (info) => {
        if (!info.isFile()) return done(404, 'not found\n');
        done(200);
        res.writeHead(200, {
          'content-type': contentTypeFor(file),
          'content-length': info.size,
          'cache-control': 'no-store',
        });
        if (req.method === 'HEAD') return void res.end();
        createReadStream(file)
          .on('error', () => res.destroy())
          .pipe(res);
      },
      () => done(404, 'not found\n'),
    );
  });
  const baseUrl = await listenLocal(server);
  return { baseUrl, requests, close: () => closeServer(server) };
}

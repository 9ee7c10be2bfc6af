import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PlayerServer, startPlayerServer } from './player-server';
import { type StaticServer, startStaticServer } from './static-server';

describe('startPlayerServer', () => {
  let dir: string;
  let upstream: StaticServer;
  let server: PlayerServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-player-server-'));
    await mkdir(join(dir, 'man', 'm1'), { recursive: true });
    await writeFile(join(dir, 'man', 'm1', 'master.m3u8'), '#EXTM3U\n');
    await writeFile(join(dir, 'secret.txt'), 'outside the served prefix\n');
    upstream = await startStaticServer({ rootDir: join(dir, 'man') });
    server = await startPlayerServer({
      upstreamBaseUrl: `${upstream.baseUrl}/`,
    });
  });

  afterAll(async () => {
    await server.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1', () => {
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('proxies /media/* with status and content type', async () => {
    const ok = await fetch(`${server.baseUrl}/media/m1/master.m3u8?x=1`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe(
      'application/vnd.apple.mpegurl',
    );
    expect(await ok.text()).toBe('#EXTM3U\n');

    const missing = await fetch(`${server.baseUrl}/media/m1/nope.m3u8`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe(
      'text/plain; charset=utf-8',
    );
    await missing.text();

    expect(server.mediaRequests).toEqual([
      { path: 'm1/master.m3u8?x=1', status: 200 },
      { path: 'm1/nope.m3u8', status: 404 },
    ]);
    expect(upstream.requests).toEqual([
      'GET /m1/master.m3u8?x=1 -> 200',
      'GET /m1/nope.m3u8 -> 404',
    ]);
  });

  it('serves the page and both player scripts', async () => {
    const page = await fetch(`${server.baseUrl}/play.html`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('window.__airlock = state');
    for (const [path, marker] of [
      ['/hls.js', 'Hls'],
      ['/shaka.js', 'shaka'],
    ]) {
      const res = await fetch(`${server.baseUrl}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(
        'text/javascript; charset=utf-8',
      );
      const body = await res.text();
      expect(body.length).toBeGreaterThan(100_000);
      expect(body).toContain(marker);
    }
    const other = await fetch(`${server.baseUrl}/other`);
    expect(other.status).toBe(404);
    await other.text();
  });

  it('answers 502 when the upstream is unreachable', async () => {
    const lonely = await startPlayerServer({
      upstreamBaseUrl: 'http://127.0.0.1:9',
    });
    try {
      const res = await fetch(`${lonely.baseUrl}/media/a.m3u8`);
      expect(res.status).toBe(502);
      expect(await res.text()).toMatch(/^upstream error/);
      expect(lonely.mediaRequests).toEqual([{ path: 'a.m3u8', status: 502 }]);
    } finally {
      await lonely.close();
    }
  });
});

describe('startStaticServer', () => {
  it('never serves files outside its root', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-static-'));
    await mkdir(join(dir, 'root'));
    await writeFile(join(dir, 'secret.txt'), 'no');
    const server = await startStaticServer({ rootDir: join(dir, 'root') });
    try {
      for (const path of ['/..%2fsecret.txt', '/%2e%2e/secret.txt', '/']) {
        const res = await fetch(`${server.baseUrl}${path}`);
        expect([403, 404]).toContain(res.status);
        await res.text();
      }
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pageManifestUrl } from './player';
import {
  type PlayerServer,
  bundleFile,
  startPlayerServer,
} from './player-server';
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
    // A stand-in bundle: what is served from it, not the player, is under test here.
    await mkdir(join(dir, 'bundle'));
    await writeFile(
      join(dir, 'bundle', 'airlock-player.js'),
      'export async function createAirlockPlayer() {}\n',
    );
    await writeFile(join(dir, 'bundle', 'airlock-player.js.map'), '{}');
    upstream = await startStaticServer({ rootDir: join(dir, 'man') });
    server = await startPlayerServer({
      upstreamBaseUrl: `${upstream.baseUrl}/`,
      bundleDir: join(dir, 'bundle'),
    });
  });

  afterAll(async () => {
    await server.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1', () => {
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.upstreamBaseUrl).toBe(upstream.baseUrl);
  });

  it("points manifest URLs and upstream paths at the page's /media/ proxy", () => {
    expect(pageManifestUrl(server, `${upstream.baseUrl}/m1/master.m3u8`)).toBe(
      `${server.baseUrl}/media/m1/master.m3u8`,
    );
    expect(pageManifestUrl(server, '/m1/manifest.mpd')).toBe(
      `${server.baseUrl}/media/m1/manifest.mpd`,
    );
    expect(() =>
      pageManifestUrl(server, 'http://elsewhere.test/m1/master.m3u8'),
    ).toThrow(/is not under the player server's upstream/);
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

  it('serves the page and the SDK player bundle', async () => {
    const page = await fetch(`${server.baseUrl}/play.html`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain("import('/player/airlock-player.js')");
    const entry = await fetch(`${server.baseUrl}/player/airlock-player.js`);
    expect(entry.status).toBe(200);
    expect(entry.headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    expect(await entry.text()).toContain('createAirlockPlayer');
    const other = await fetch(`${server.baseUrl}/other`);
    expect(other.status).toBe(404);
    await other.text();
  });

  it('serves nothing but .js files directly inside the bundle directory', async () => {
    for (const path of [
      '/player/missing.js',
      '/player/airlock-player.js.map',
      '/player/%2e%2e%2fplayer-server.spec.ts',
      '/player/..%2f..%2fpackage.json',
      '/player/',
    ]) {
      const res = await fetch(`${server.baseUrl}${path}`);
      expect([path, res.status]).toEqual([path, 404]);
      await res.text();
    }
  });

  it('maps /player/ paths into the bundle directory only', () => {
    expect(bundleFile('/b', '/player/airlock-player.js')).toBe(
      join('/b', 'airlock-player.js'),
    );
    for (const path of [
      '/player/../x.js',
      '/player/%2e%2e/x.js',
      '/player/%E0%A4%A.js',
      '/player/sub/x.js',
      '/player/.hidden.js',
      '/player/x.js%00.js',
      '/hls.js',
    ])
      expect([path, bundleFile('/b', path)]).toEqual([path, undefined]);
  });

  it('refuses methods other than GET and HEAD (there is no license endpoint)', async () => {
    const post = await fetch(`${server.baseUrl}/license`, { method: 'POST' });
    expect(post.status).toBe(405);
    await post.text();
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

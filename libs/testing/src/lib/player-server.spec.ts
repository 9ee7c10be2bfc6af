import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type PlayerServer,
  base64UrlToHex,
  clearKeyLicense,
  formatClearKeys,
  hexToBase64Url,
  joseBrowserFile,
  parseClearKeys,
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

  it("serves jose's browser build under /jose/ and nothing else from node_modules", async () => {
    const index = await fetch(`${server.baseUrl}/jose/index.js`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    const body = await index.text();
    expect(body).toContain('compactDecrypt');
    expect(body).toContain("from './jwe/compact/decrypt.js'");
    const nested = await fetch(`${server.baseUrl}/jose/runtime/ecdhes.js`);
    expect(nested.status).toBe(200);
    expect(await nested.text()).toContain('deriveBits');
    for (const path of [
      '/jose/missing.js',
      '/jose/package.json',
      '/jose/%2e%2e/node/cjs/index.js',
      '/jose/..%2f..%2fpackage.json',
      '/jose/%2e%2e%2f%2e%2e%2f%2e%2e%2fhls.js%2fpackage.json',
      '/jose/',
    ]) {
      const res = await fetch(`${server.baseUrl}${path}`);
      expect([path, res.status]).toEqual([path, 404]);
      await res.text();
    }
  });

  it('maps /jose/ paths into the browser build only', () => {
    expect(joseBrowserFile('/jose/index.js')).toMatch(
      /[/\\]jose[/\\]dist[/\\]browser[/\\]index\.js$/,
    );
    expect(joseBrowserFile('/jose/jwe/compact/decrypt.js')).toMatch(
      /[/\\]browser[/\\]jwe[/\\]compact[/\\]decrypt\.js$/,
    );
    for (const path of [
      '/jose/../node/cjs/index.js',
      '/jose/%2e%2e/node/cjs/index.js',
      '/jose/%E0%A4%A.js',
      '/jose/package.json',
      '/jose/index.js%00.js',
      '/hls.js',
    ])
      expect([path, joseBrowserFile(path)]).toEqual([path, undefined]);
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

describe('ClearKey license', () => {
  const KID = 'fbefbe3f0f7e41d9a2c3b4d5e6f70819';
  const KEY = '6a1f0c9e8d7b2a4c5e3f1d0b9a8c7e6f';
  const OTHER_KID = '00112233445566778899aabbccddeeff';
  const OTHER_KEY = 'ffeeddccbbaa99887766554433221100';
  let upstream: StaticServer;
  let server: PlayerServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-license-'));
    upstream = await startStaticServer({ rootDir: dir });
    server = await startPlayerServer({ upstreamBaseUrl: upstream.baseUrl });
  });

  afterAll(async () => {
    await server.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** What Chromium's ClearKey CDM sends: its license request message, as JSON. */
  const request = (...kids: string[]) =>
    JSON.stringify({ kids: kids.map(hexToBase64Url), type: 'temporary' });

  it('converts between hex and unpadded base64url', () => {
    expect(hexToBase64Url(KID)).toBe('----Pw9-Qdmiw7TV5vcIGQ');
    expect(base64UrlToHex('----Pw9-Qdmiw7TV5vcIGQ')).toBe(KID);
  });

  it('formats and parses keys as kid:key pairs, lowercased, refusing anything else', () => {
    const keys = { [KID.toUpperCase()]: KEY, [OTHER_KID]: OTHER_KEY };
    expect(formatClearKeys(keys)).toBe(
      `${KID}:${KEY},${OTHER_KID}:${OTHER_KEY}`,
    );
    expect(parseClearKeys(formatClearKeys(keys))).toEqual({
      [KID]: KEY,
      [OTHER_KID]: OTHER_KEY,
    });
    expect(parseClearKeys('')).toEqual({});
    expect(formatClearKeys({})).toBe('');
    expect(() => formatClearKeys({ [KID]: KEY.slice(1) })).toThrow(
      /clear key for ".*" is not 32 hex digits/,
    );
    expect(() => formatClearKeys({ 'not-a-kid': KEY })).toThrow(
      /clear key id "not-a-kid" is not 32 hex digits/,
    );
    expect(() => parseClearKeys(`${KID}:${KEY}:x`)).toThrow(/is not kid:key/);
    expect(() => parseClearKeys(KID)).toThrow(/is not kid:key/);
  });

  it('answers with the known keys among those asked for', () => {
    const keys = { [KID]: KEY, [OTHER_KID]: OTHER_KEY };
    expect(clearKeyLicense(JSON.parse(request(KID)), keys)).toEqual({
      kids: [KID],
      granted: [KID],
      license: {
        keys: [
          {
            kty: 'oct',
            k: hexToBase64Url(KEY),
            kid: hexToBase64Url(KID),
          },
        ],
        type: 'temporary',
      },
    });
    const unknown = clearKeyLicense(JSON.parse(request(KEY)), keys);
    expect(unknown.granted).toEqual([]);
    expect(unknown.license.keys).toEqual([]);
    expect(() => clearKeyLicense({ kid: 'x' }, keys)).toThrow(
      /not a ClearKey license request/,
    );
    expect(() => clearKeyLicense(null, keys)).toThrow(
      /not a ClearKey license request/,
    );
  });

  it('serves POST /license with the keys in its query, and records each request', async () => {
    server.licenseRequests.length = 0;
    const keys = encodeURIComponent(formatClearKeys({ [KID]: KEY }));
    const post = (query: string, body: string) =>
      fetch(`${server.baseUrl}/license${query}`, { method: 'POST', body });

    const ok = await post(`?keys=${keys}`, request(KID, OTHER_KID));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe(
      'application/json; charset=utf-8',
    );
    expect(await ok.json()).toEqual({
      keys: [{ kty: 'oct', k: hexToBase64Url(KEY), kid: hexToBase64Url(KID) }],
      type: 'temporary',
    });

    const none = await post(`?keys=${keys}`, request(OTHER_KID));
    expect(none.status).toBe(403);
    expect(await none.text()).toBe(`no key for key id(s) ${OTHER_KID}\n`);

    const noKeys = await post('', request(KID));
    expect(noKeys.status).toBe(403);
    await noKeys.text();

    const garbage = await post(`?keys=${keys}`, 'not json');
    expect(garbage.status).toBe(400);
    await garbage.text();

    const badKeys = await post('?keys=zz:zz', request(KID));
    expect(badKeys.status).toBe(400);
    expect(await badKeys.text()).toMatch(/not 32 hex digits/);

    const huge = await post(`?keys=${keys}`, 'x'.repeat(100_000));
    expect(huge.status).toBe(413);
    await huge.text();

    expect(server.licenseRequests).toEqual([
      { kids: [KID, OTHER_KID], granted: [KID], status: 200 },
      { kids: [OTHER_KID], granted: [], status: 403 },
      { kids: [KID], granted: [], status: 403 },
      { kids: [], granted: [], status: 400 },
      { kids: [], granted: [], status: 400 },
      { kids: [], granted: [], status: 413 },
    ]);
    // Media requests are untouched by license traffic; other methods are still refused.
    expect(server.mediaRequests).toEqual([]);
    const put = await fetch(`${server.baseUrl}/license`, { method: 'PUT' });
    expect(put.status).toBe(405);
    await put.text();
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

import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaView } from '@airlock/contracts';
import { PLAYER_BUNDLE_DIR, PLAYER_BUNDLE_ENTRY } from '@airlock/client-sdk/node';
import { generateX25519KeyPair, wrapKey } from '@airlock/crypto';
import { workspaceRoot } from '@airlock/devstack';
import { parsePlayArgs, play, type PlayDeps } from './play.command';
import type { PlayServer } from './play-server';

jest.setTimeout(30_000);

const BUNDLE = 'export const createAirlockPlayer = () => {};\n';

/** A repository root with the real example page and a stand-in bundle (this spec tests serving, not the player). */
async function fakeRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'airlock-play-'));
  await mkdir(join(root, 'examples/player'), { recursive: true });
  await copyFile(join(workspaceRoot(), 'examples/player/index.html'), join(root, 'examples/player/index.html'));
  await mkdir(join(root, PLAYER_BUNDLE_DIR), { recursive: true });
  await writeFile(join(root, PLAYER_BUNDLE_DIR, PLAYER_BUNDLE_ENTRY), BUNDLE);
  await writeFile(join(root, 'secret.txt'), 'not served');
  return root;
}

function mediaView(over: Partial<MediaView>): MediaView {
  return {
    id: 'med_1',
    state: 'ready',
    recipientStatus: 'ready',
    progress: { done: 1, total: 1 },
    renditions: [{ name: '360p', ready: true }],
    manifests: { hls: 'http://store.test/b/man/med_1/v1/master.m3u8', dash: 'http://store.test/b/man/med_1/v1/manifest.mpd' },
    keyId: '00112233445566778899aabbccddeeff',
    keys: [],
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

describe('parsePlayArgs', () => {
  it('reads receive --play, opening a browser unless --no-open', () => {
    expect(parsePlayArgs(['med_1', '--play', '--key', 'bob.json', '--format', 'dash', '--rendition', '360p'], {})).toEqual({
      mediaId: 'med_1',
      keyFile: 'bob.json',
      recipientId: undefined,
      apiUrl: 'http://127.0.0.1:3000',
      apiKey: 'airlock-dev-key',
      format: 'dash',
      rendition: '360p',
      open: true,
      port: undefined,
    });
    expect(parsePlayArgs(['med_1', '--play', '--key', 'b', '--no-open', '--port', '0'], {})).toMatchObject({ open: false, port: 0, format: 'auto' });
    expect(() => parsePlayArgs(['med_1', '--play'], {})).toThrow(/--key/);
    expect(() => parsePlayArgs(['med_1', '--play', '--key', 'b', '--format', 'mp4'], {})).toThrow(/--format/);
  });
});

describe('receive --play', () => {
  let root: string;
  let server: PlayServer | undefined;
  let keyFile: string;
  let media: MediaView;
  let privateJwk: unknown;
  const printed: string[] = [];
  const opened: string[] = [];

  beforeAll(async () => {
    root = await fakeRoot();
    const bob = await generateX25519KeyPair('bob');
    privateJwk = bob.privateJwk;
    keyFile = join(root, 'bob.json');
    await writeFile(keyFile, JSON.stringify({ id: 'bob', publicJwk: bob.publicJwk, privateJwk: bob.privateJwk }));
    media = mediaView({ keys: [{ recipientId: 'bob', jwe: await wrapKey(new Uint8Array(16).fill(5), bob.publicJwk) }] });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const deps = (m: MediaView): PlayDeps => ({
    client: { getMedia: async () => m },
    root,
    openBrowser: async (url) => (opened.push(url), true),
    print: (line) => printed.push(line),
  });
  const opts = () => ({ mediaId: 'med_1', keyFile, apiUrl: 'http://api.test', apiKey: 'k', format: 'auto' as const, open: true });

  it('serves the page and the bundle on 127.0.0.1 and hands the session out once, for the token in the fragment only', async () => {
    server = await play(opts(), deps(media));
    const url = new URL(server.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.search).toBe('');
    const token = new URLSearchParams(url.hash.slice(1)).get('session') ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(opened).toEqual([server.url]);
    expect(printed.join('\n')).toContain(server.url);
    expect(printed.join('\n')).not.toContain(JSON.stringify(privateJwk));

    const base = url.origin;
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain("from './player/airlock-player.js'");
    const bundle = await fetch(`${base}/player/${PLAYER_BUNDLE_ENTRY}`);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect(await bundle.text()).toBe(BUNDLE);
    for (const path of ['/player/../secret.txt', '/player/%2e%2e/secret.txt', '/player/..%2fsecret.txt', '/secret.txt', '/player/missing.js']) {
      expect((await fetch(base + path)).status).toBe(404);
    }

    expect((await fetch(`${base}/session`)).status).toBe(405);
    expect((await fetch(`${base}/session`, { method: 'POST', body: 'not-the-token' })).status).toBe(403);
    const taken = await fetch(`${base}/session`, { method: 'POST', body: token });
    expect(taken.status).toBe(200);
    expect(taken.headers.get('cache-control')).toBe('no-store');
    expect(await taken.json()).toEqual({ media, apiBaseUrl: 'http://api.test', key: { recipientId: 'bob', privateJwk }, format: 'auto' });
    await server.sessionTaken;
    expect((await fetch(`${base}/session`, { method: 'POST', body: token })).status).toBe(410);
    expect((await fetch(`${base}/player/${PLAYER_BUNDLE_ENTRY}`)).status).toBe(200);
  });

  it('refuses a media not ready, a recipient not on it, and a missing bundle, before serving anything', async () => {
    await expect(play(opts(), deps(mediaView({ state: 'processing', manifests: undefined })))).rejects.toThrow(/not ready/);
    await expect(play(opts(), deps(mediaView({ keys: [{ recipientId: 'alice', jwe: 'x' }] })))).rejects.toThrow(/bob is not a recipient/);
    await rm(join(root, PLAYER_BUNDLE_DIR, PLAYER_BUNDLE_ENTRY));
    await expect(play(opts(), deps(media))).rejects.toThrow(/bundle-player/);
    await writeFile(join(root, PLAYER_BUNDLE_DIR, PLAYER_BUNDLE_ENTRY), BUNDLE);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BrowserContext,
  type Page,
  chromium,
  errors,
} from 'playwright-core';
import { type PlayerServer, startPlayerServer } from './player-server';
import type { SegmentPlace } from './segment-coverage';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * The parts of a media view the SDK player reads. Manifest URLs are absolute URLs under the
 * player server's upstream (as the api hands them out) or paths on that upstream
 * ("man/<media>/v1/master.m3u8"); the harness points them at the page's /media/ proxy.
 */
export interface PlayableMedia {
  id: string;
  state: string;
  manifests?: { hls: string; dash: string };
  keyId: string;
  keys: { recipientId: string; jwe: string }[];
}

/** What the page plays with: the media's output key, or a recipient's id and private key (unwrapped in the page). */
export type PlayKey =
  | { outputKey: Uint8Array | string }
  | { recipientId: string; privateJwk: object };

export interface PlayOptions {
  media: PlayableMedia;
  key: PlayKey;
  /** Default 'auto' (the player's choice). */
  format?: 'auto' | 'hls' | 'dash';
  /** Pin this rung from the start; default adaptive. */
  rendition?: string;
  /**
   * true (default): play from the start until the player reports `ended`, in real time, so every
   * segment is fetched and decoded. false: stop once playback passes 1 s (or half the duration).
   */
  playThrough?: boolean;
  /** The player's stall threshold: playback not moving for longer is a `stalled` state (default 3000). */
  stallTimeoutMs?: number;
  /** A running startPlayerServer(). Give this or upstreamBaseUrl. */
  server?: PlayerServer;
  /** Start a player server for this call only, proxying to this upstream, and close it after. */
  upstreamBaseUrl?: string;
  /** Whole budget including browser start; the result says timedOut when it runs out (default 60000). */
  timeoutMs?: number;
  /** Chromium binary; default $AIRLOCK_CHROMIUM or /usr/bin/chromium. */
  executablePath?: string;
}

/** One state the player reported through onState, with ms since the page started. */
export interface ReportedState {
  state: 'loading' | 'playing' | 'stalled' | 'ended' | 'failed';
  atMs: number;
  rendition?: string;
  forMs?: number;
  reason?: string;
  detail?: string;
}

export interface PlayResult {
  /** The format the player chose (undefined when it never started). */
  format: 'hls' | 'dash' | undefined;
  /** Every state the player reported, in order. */
  states: ReportedState[];
  /** The player's `failed` state (reason and detail), or the harness's own when the page broke. */
  failure: { reason: string; detail: string } | undefined;
  /** The player reported `ended`. */
  reachedEnd: boolean;
  /** Playback moved past 0. */
  advanced: boolean;
  /** `stalled` states the player reported. */
  stalls: ReportedState[];
  /** Renditions the player's `playing` states named, distinct, in order. */
  renditionsShown: string[];
  /** Frame sizes ("640x360") the <video> element showed, distinct in a row, in order. */
  frameSizes: string[];
  /** The player's rung names, lowest first. */
  renditions: string[];
  /** Every init (index -1) and media segment the player loaded, in order. */
  segments: SegmentPlace[];
  duration: number;
  currentTime: number;
  /** The budget ran out before the page finished. */
  timedOut: boolean;
  elapsedMs: number;
  /** Page errors and console errors: for diagnosis, not verdicts. */
  warnings: string[];
}

const STATE_EXPRESSION = 'JSON.stringify(window.__airlock || null)';
/** Kept back from the page's own deadline so the page can finish and report before we stop waiting. */
const PAGE_MARGIN_MS = 1500;
const HEX_128 = /^[0-9a-f]{32}$/;

interface PageState {
  done: boolean;
  format: 'hls' | 'dash' | null;
  states: ReportedState[];
  failure: { reason: string; detail: string } | null;
  reachedEnd: boolean;
  advanced: boolean;
  duration: number;
  currentTime: number;
  frameSizes: string[];
  renditions: string[];
  segments: SegmentPlace[];
  timedOut: boolean;
  warnings: string[];
}

function parseState(json: unknown): PageState | undefined {
  if (typeof json !== 'string') return undefined;
  const raw: unknown = JSON.parse(json);
  return raw && typeof raw === 'object' ? (raw as PageState) : undefined;
}

/** The key as the page takes it; checks its shape (not its secrets) before a browser starts. */
function pageKey(
  key: PlayKey,
): { outputKeyHex: string } | { recipientId: string; privateJwk: object } {
  if ('outputKey' in key) {
    const hex =
      typeof key.outputKey === 'string'
        ? key.outputKey.toLowerCase()
        : Buffer.from(key.outputKey).toString('hex');
    if (!HEX_128.test(hex))
      throw new Error('outputKey is not 16 bytes (32 hex digits)');
    return { outputKeyHex: hex };
  }
  const d = (key.privateJwk as Record<string, unknown> | undefined)?.['d'];
  if (typeof d !== 'string') throw new Error('privateJwk is not a private JWK');
  return { recipientId: key.recipientId, privateJwk: key.privateJwk };
}

/**
 * A manifest URL the page can fetch: under /media/ on the player server. Absolute URLs must lie
 * under the server's upstream; anything else is taken as a path on the upstream.
 */
export function pageManifestUrl(
  server: Pick<PlayerServer, 'baseUrl' | 'upstreamBaseUrl'>,
  url: string,
): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    const upstream = `${server.upstreamBaseUrl.replace(/\/+$/, '')}/`;
    if (!url.startsWith(upstream))
      throw new Error(
        `${url} is not under the player server's upstream ${upstream}`,
      );
    url = url.slice(upstream.length);
  }
  return `${server.baseUrl}/media/${url.replace(/^\/+/, '')}`;
}

interface Browser {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far. */
  warnings: string[];
  close(): Promise<void>;
}

/** Headless Chromium with a throwaway profile and one page. */
async function launchBrowser(
  executablePath: string | undefined,
  timeoutMs: number,
): Promise<Browser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'airlock-chromium-'));
  const removeProfile = () =>
    rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath:
        executablePath ??
        process.env['AIRLOCK_CHROMIUM'] ??
        DEFAULT_CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: timeoutMs,
    });
  } catch (err) {
    await removeProfile();
    throw err;
  }
  const warnings: string[] = [];
  const close = async () => {
    await context.close().catch(() => undefined);
    await removeProfile();
  };
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => warnings.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') warnings.push(`console: ${msg.text()}`);
    });
    return { context, page, warnings, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Plays one media with the SDK's embeddable player (createAirlockPlayer, from the SDK's browser
 * bundle) in headless Chromium, as a recipient's chat app would: the page gets the media view and
 * the key (or the recipient's private key, which the player unwraps in the page), through an init
 * script, never a URL. Reports what the player said and what the <video> element showed.
 */
export async function play(options: PlayOptions): Promise<PlayResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = started + timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  if (
    (options.server === undefined) ===
    (options.upstreamBaseUrl === undefined)
  )
    throw new Error('give exactly one of server and upstreamBaseUrl');
  const key = pageKey(options.key);

  const ownServer = options.upstreamBaseUrl
    ? await startPlayerServer({ upstreamBaseUrl: options.upstreamBaseUrl })
    : undefined;
  const server = ownServer ?? (options.server as PlayerServer);
  const harnessErrors: string[] = [];
  let browser: Browser | undefined;
  let state: PageState | undefined;
  let timedOut = false;
  try {
    const { manifests } = options.media;
    const media = {
      id: options.media.id,
      state: options.media.state,
      keyId: options.media.keyId,
      keys: options.media.keys,
      ...(manifests
        ? {
            manifests: {
              hls: pageManifestUrl(server, manifests.hls),
              dash: pageManifestUrl(server, manifests.dash),
            },
          }
        : {}),
    };
    browser = await launchBrowser(options.executablePath, remaining());
    const { page } = browser;
    const config = {
      media,
      key,
      format: options.format ?? 'auto',
      rendition: options.rendition,
      stallTimeoutMs: options.stallTimeoutMs ?? 3000,
      playThrough: options.playThrough ?? true,
      timeoutMs: Math.max(1000, remaining() - PAGE_MARGIN_MS),
    };
    await page.addInitScript({
      content: `window.__airlockPlay = ${JSON.stringify(config)};`,
    });
    try {
      await page.goto(`${server.baseUrl}/play.html`, { timeout: remaining() });
      await page.waitForFunction(
        'window.__airlock && window.__airlock.done === true',
        undefined,
        { timeout: remaining(), polling: 100 },
      );
    } catch (err) {
      if (err instanceof errors.TimeoutError) timedOut = true;
      else
        harnessErrors.push(
          `harness: ${err instanceof Error ? err.message : String(err)}`,
        );
    }
    state = parseState(
      await page.evaluate(STATE_EXPRESSION).catch(() => undefined),
    );
  } finally {
    await browser?.close();
    await ownServer?.close();
  }

  const states = state?.states ?? [];
  const renditionsShown: string[] = [];
  for (const s of states)
    if (
      s.state === 'playing' &&
      s.rendition &&
      !renditionsShown.includes(s.rendition)
    )
      renditionsShown.push(s.rendition);
  const failure =
    state?.failure ??
    (harnessErrors.length > 0
      ? { reason: 'harness', detail: harnessErrors.join('; ') }
      : undefined);
  return {
    format: state?.format ?? undefined,
    states,
    failure,
    reachedEnd: state?.reachedEnd ?? false,
    advanced: state?.advanced ?? false,
    stalls: states.filter((s) => s.state === 'stalled'),
    renditionsShown,
    frameSizes: state?.frameSizes ?? [],
    renditions: state?.renditions ?? [],
    segments: state?.segments ?? [],
    duration: state?.duration ?? 0,
    currentTime: state?.currentTime ?? 0,
    timedOut: timedOut || (state?.timedOut ?? false) || !state?.done,
    elapsedMs: Date.now() - started,
    warnings: [...(state?.warnings ?? []), ...(browser?.warnings ?? [])],
  };
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, errors } from 'playwright-core';
import {
  type ClearKeys,
  formatClearKeys,
  startPlayerServer,
} from './player-server';

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

export interface PlayOptions {
  /**
   * Path of the manifest on the upstream (e.g. "man/m1/v1/master.m3u8"); the page loads it
   * through the player server as /media/<path>.
   */
  manifestUrlPath: string;
  /** baseUrl of a running startPlayerServer(). Give this or upstreamBaseUrl. */
  baseUrl?: string;
  /** Start a player server for this call only, proxying to this upstream, and close it after. */
  upstreamBaseUrl?: string;
  /**
   * After playback passes ~2 s, seek to duration - 1.5 s and wait for the end (default true).
   * false: keep playing from the start until the end, which checks every segment but takes real time.
   */
  seekToEnd?: boolean;
  /** Whole budget including browser start; the result says timedOut when it runs out (default 60000). */
  timeoutMs?: number;
  /** Chromium binary; default $AIRLOCK_CHROMIUM or /usr/bin/chromium. */
  executablePath?: string;
  /**
   * ClearKey keys for encrypted media: key id (32 hex digits) to key (32 hex digits). shaka-player
   * gets them as drm.clearKeys; hls.js runs with emeEnabled and fetches them as a ClearKey license
   * from the player server's POST /license. Without this option no DRM is configured at all, and
   * {} configures it with no keys.
   */
  clearKeys?: ClearKeys;
}

export interface PlayResult {
  player: 'hls' | 'dash';
  /** Playback passed ~2 s (half the duration for very short media). */
  currentTimeAdvanced: boolean;
  /** After the seek (or playing through), the ended event fired or currentTime >= duration - 0.5. */
  reachedEnd: boolean;
  /** Media duration in seconds as the player saw it; 0 when never known. */
  duration: number;
  /** currentTime when observation stopped. */
  currentTime: number;
  /** hls.js ERROR events with fatal=true, critical shaka errors, load failures, media element errors. */
  fatalErrors: string[];
  /** Recoverable player errors, page errors and console errors: for diagnosis, not verdicts. */
  warnings: string[];
  /** hls.js levels / shaka variant tracks. */
  variants: number;
  audioTracks: number;
  /** Media segments (all tracks, init segments excluded) the player finished loading. */
  segmentsLoaded: number;
  /** The budget ran out before the page finished. */
  timedOut: boolean;
  elapsedMs: number;
}

interface PageState {
  done: boolean;
  phase: string;
  currentTimeAdvanced: boolean;
  reachedEnd: boolean;
  duration: number;
  currentTime: number;
  fatalErrors: string[];
  warnings: string[];
  variants: number;
  audioTracks: number;
  segmentsLoaded: number;
  timedOut: boolean;
}

const STATE_EXPRESSION = 'JSON.stringify(window.__airlock || null)';
/** Kept back from the page's own deadline so the page can finish and report before we stop waiting. */
const PAGE_MARGIN_MS = 1500;

function asNumber(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function asStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

function parseState(json: unknown): PageState | undefined {
  if (typeof json !== 'string') return undefined;
  const raw: unknown = JSON.parse(json);
  if (!raw || typeof raw !== 'object') return undefined;
  const s = raw as Record<string, unknown>;
  return {
    done: s['done'] === true,
    phase: String(s['phase']),
    currentTimeAdvanced: s['currentTimeAdvanced'] === true,
    reachedEnd: s['reachedEnd'] === true,
    duration: asNumber(s['duration']),
    currentTime: asNumber(s['currentTime']),
    fatalErrors: asStrings(s['fatalErrors']),
    warnings: asStrings(s['warnings']),
    variants: asNumber(s['variants']),
    audioTracks: asNumber(s['audioTracks']),
    segmentsLoaded: asNumber(s['segmentsLoaded']),
    timedOut: s['timedOut'] === true,
  };
}

async function play(
  kind: 'hls' | 'dash',
  options: PlayOptions,
): Promise<PlayResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = started + timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  if (
    (options.baseUrl === undefined) ===
    (options.upstreamBaseUrl === undefined)
  ) {
    throw new Error('give exactly one of baseUrl and upstreamBaseUrl');
  }
  const clearKeys =
    options.clearKeys === undefined
      ? undefined
      : formatClearKeys(options.clearKeys);

  const ownServer = options.upstreamBaseUrl
    ? await startPlayerServer({ upstreamBaseUrl: options.upstreamBaseUrl })
    : undefined;
  const baseUrl = ownServer?.baseUrl ?? options.baseUrl ?? '';
  const userDataDir = await mkdtemp(join(tmpdir(), 'airlock-chromium-'));
  const warnings: string[] = [];
  const harnessErrors: string[] = [];
  let context: BrowserContext | undefined;
  let state: PageState | undefined;
  let timedOut = false;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath:
        options.executablePath ??
        process.env['AIRLOCK_CHROMIUM'] ??
        DEFAULT_CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: remaining(),
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => warnings.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') warnings.push(`console: ${msg.text()}`);
    });

    const src = `/media/${options.manifestUrlPath.replace(/^\/+/, '')}`;
    const query = new URLSearchParams({
      player: kind,
      src,
      seekToEnd: options.seekToEnd === false ? '0' : '1',
      timeoutMs: String(Math.max(1000, remaining() - PAGE_MARGIN_MS)),
    });
    if (clearKeys !== undefined) query.set('clearKeys', clearKeys);
    try {
      await page.goto(`${baseUrl}/play.html?${query.toString()}`, {
        timeout: remaining(),
      });
      await page.waitForFunction(
        'window.__airlock && window.__airlock.done === true',
        undefined,
        {
          timeout: remaining(),
          polling: 100,
        },
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
    await context?.close().catch(() => undefined);
    await rm(userDataDir, { recursive: true, force: true }).catch(
      () => undefined,
    );
    await ownServer?.close();
  }

  return {
    player: kind,
    currentTimeAdvanced: state?.currentTimeAdvanced ?? false,
    reachedEnd: state?.reachedEnd ?? false,
    duration: state?.duration ?? 0,
    currentTime: state?.currentTime ?? 0,
    fatalErrors: [...(state?.fatalErrors ?? []), ...harnessErrors],
    warnings: [...(state?.warnings ?? []), ...warnings],
    variants: state?.variants ?? 0,
    audioTracks: state?.audioTracks ?? 0,
    segmentsLoaded: state?.segmentsLoaded ?? 0,
    timedOut: timedOut || (state?.timedOut ?? false) || !state?.done,
    elapsedMs: Date.now() - started,
  };
}

/** Plays an HLS manifest with hls.js in headless Chromium and reports what happened. */
export function playHls(options: PlayOptions): Promise<PlayResult> {
  return play('hls', options);
}

/** Plays a DASH MPD with shaka-player in headless Chromium and reports what happened. */
export function playDash(options: PlayOptions): Promise<PlayResult> {
  return play('dash', options);
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BrowserContext,
  type Page,
  chromium,
  errors,
} from 'playwright-core';
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
  /**
   * The page acts as the media's recipient, instead of clearKeys: it gets only the recipient's
   * private JWK, the media's wrapped key (JWE, ECDH-ES+A256KW on X25519 / A256GCM, as
   * @airlock/crypto wrapKey makes it) and key id, unwraps the key itself with WebCrypto (jose's
   * browser build) and plays with it: shaka-player through drm.clearKeys, hls.js through a ClearKey
   * license the page answers itself. The key never passes through Node or the player server; the
   * three values reach the page through an init script, not the URL. A failed unwrap is a fatal
   * error and no player starts. PlayResult.unwrappedInPage says the page did the unwrap.
   */
  recipient?: RecipientKey;
}

/** What a recipient holds to play one media: see PlayOptions.recipient. */
export interface RecipientKey {
  /** The recipient's X25519 private key as a JWK (kty OKP, crv X25519, d, x). */
  privateJwk: object;
  /** The media key wrapped to the recipient (compact JWE). */
  jwe: string;
  /** The media's key id, 32 hex digits. */
  keyId: string;
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
  /** Recipient mode: the page unwrapped the media key itself (false otherwise, or when it failed). */
  unwrappedInPage: boolean;
  /** Recipient mode, hls.js: ClearKey license requests the page answered itself from its own key. */
  pageLicenses: number;
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
  unwrappedInPage: boolean;
  pageLicenses: number;
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
    unwrappedInPage: s['unwrappedInPage'] === true,
    pageLicenses: asNumber(s['pageLicenses']),
  };
}

const HEX_128 = /^[0-9a-f]{32}$/;

/** Checks a recipient key's shape (not its secrets) before a browser starts; key id lowercased. */
function checkRecipient(recipient: RecipientKey): RecipientKey {
  const keyId = String(recipient.keyId).toLowerCase();
  if (!HEX_128.test(keyId))
    throw new Error(
      `recipient key id "${recipient.keyId}" is not 32 hex digits`,
    );
  if (
    typeof recipient.jwe !== 'string' ||
    recipient.jwe.split('.').length !== 5
  )
    throw new Error('recipient jwe is not a compact JWE');
  if (
    !recipient.privateJwk ||
    typeof recipient.privateJwk !== 'object' ||
    typeof (recipient.privateJwk as Record<string, unknown>)['d'] !== 'string'
  )
    throw new Error('recipient privateJwk is not a private JWK');
  return { privateJwk: recipient.privateJwk, jwe: recipient.jwe, keyId };
}

/** An init script that sets window.__airlockRecipient before play.html's own script runs. */
function recipientInitScript(recipient: RecipientKey): string {
  return `window.__airlockRecipient = ${JSON.stringify(recipient)};`;
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
  if (options.clearKeys !== undefined && options.recipient !== undefined)
    throw new Error('give at most one of clearKeys and recipient');
  const clearKeys =
    options.clearKeys === undefined
      ? undefined
      : formatClearKeys(options.clearKeys);
  const recipient =
    options.recipient === undefined
      ? undefined
      : checkRecipient(options.recipient);

  const ownServer = options.upstreamBaseUrl
    ? await startPlayerServer({ upstreamBaseUrl: options.upstreamBaseUrl })
    : undefined;
  const baseUrl = ownServer?.baseUrl ?? options.baseUrl ?? '';
  const harnessErrors: string[] = [];
  let browser: Browser | undefined;
  let state: PageState | undefined;
  let timedOut = false;
  try {
    browser = await launchBrowser(options.executablePath, remaining());
    const { page } = browser;
    if (recipient !== undefined)
      await page.addInitScript({ content: recipientInitScript(recipient) });

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
    await browser?.close();
    await ownServer?.close();
  }

  return {
    player: kind,
    currentTimeAdvanced: state?.currentTimeAdvanced ?? false,
    reachedEnd: state?.reachedEnd ?? false,
    duration: state?.duration ?? 0,
    currentTime: state?.currentTime ?? 0,
    fatalErrors: [...(state?.fatalErrors ?? []), ...harnessErrors],
    warnings: [...(state?.warnings ?? []), ...(browser?.warnings ?? [])],
    variants: state?.variants ?? 0,
    audioTracks: state?.audioTracks ?? 0,
    segmentsLoaded: state?.segmentsLoaded ?? 0,
    timedOut: timedOut || (state?.timedOut ?? false) || !state?.done,
    elapsedMs: Date.now() - started,
    unwrappedInPage: state?.unwrappedInPage ?? false,
    pageLicenses: state?.pageLicenses ?? 0,
  };
}

export interface UnwrapInPageOptions {
  /** baseUrl of a running startPlayerServer() (it serves play.html and /jose/). */
  baseUrl: string;
  /** The recipient's private JWK and the wrapped key (compact JWE). */
  privateJwk: object;
  jwe: string;
  /** Budget including browser start (default 30000). */
  timeoutMs?: number;
  /** Chromium binary; default $AIRLOCK_CHROMIUM or /usr/bin/chromium. */
  executablePath?: string;
}

/**
 * Test hook for the page's own unwrap: loads play.html with no player in headless Chromium and
 * runs its window.__airlockUnwrapKey(privateJwk, jwe), the function recipient-mode playback uses.
 * Resolves to the key as hex; rejects with the page's error when it cannot unwrap. Unlike playback,
 * this hands the key back to Node, so it is for checking the unwrap only.
 */
export async function unwrapKeyInPage(
  options: UnwrapInPageOptions,
): Promise<string> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const remaining = () => Math.max(1, deadline - Date.now());
  const browser = await launchBrowser(options.executablePath, remaining());
  try {
    const { page } = browser;
    await page.goto(`${options.baseUrl}/play.html?player=none`, {
      timeout: remaining(),
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      page.evaluate(
        `window.__airlockUnwrapKey(${JSON.stringify(options.privateJwk)}, ${JSON.stringify(options.jwe)})
          .then((key) => ({ key }), (e) => ({ error: (e && e.name ? e.name + ': ' : '') + String(e && e.message || e) }))`,
      ),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('unwrap in page timed out')),
          remaining(),
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const result = (outcome ?? {}) as { key?: unknown; error?: unknown };
    if (typeof result.key === 'string') return result.key;
    throw new Error(`page could not unwrap: ${String(result.error)}`);
  } finally {
    await browser.close();
  }
}

/** Plays an HLS manifest with hls.js in headless Chromium and reports what happened. */
export function playHls(options: PlayOptions): Promise<PlayResult> {
  return play('hls', options);
}

/** Plays a DASH MPD with shaka-player in headless Chromium and reports what happened. */
export function playDash(options: PlayOptions): Promise<PlayResult> {
  return play('dash', options);
}

import type { MediaView } from '@airlock/contracts';
import { browserSupport, chooseFormat, type FormatRequest, type PlayerFormat } from './format-choice';
import type { HeldKey } from './key-uri-answer';
import type { PlaybackEngine } from './playback-engine';
import { outputKeyFor, type PlayerKey } from './player-key';
import { AirlockPlayerError, StateReporter, type PlayerFailure, type PlayerState, type SegmentLoad } from './player-state';
import { StallWatch } from './stall-watch';

export interface AirlockPlayerOptions {
  /** The element to play in; the player attaches to it and leaves it to the app afterwards. */
  video: HTMLVideoElement;
  /** The media as `GET /v1/media/:id` returns it (manifests, key id, wrapped keys). */
  media: Pick<MediaView, 'id' | 'state' | 'manifests' | 'keyId' | 'keys'>;
  /** What manifest URLs in the media view are relative to (default: the page's origin). */
  apiBaseUrl?: string;
  /** The output key, or the recipient's id and private key to unwrap it with, in the page. Never sent anywhere. */
  key: PlayerKey;
  /** `auto` (default) plays HLS through hls.js where MediaSource exists. */
  format?: FormatRequest;
  /** Pin one rung by name ('360p'); default adaptive. */
  rendition?: string;
  /** Playback not moving for longer than this (once it has played) is reported as `stalled` (default 3000). */
  stallTimeoutMs?: number;
  /** Start playing once loaded (default true; a browser may refuse unmuted autoplay, then the app calls video.play()). */
  autoplay?: boolean;
  onState?: (s: PlayerState) => void;
}

export interface AirlockPlayer {
  readonly format: PlayerFormat;
  state(): PlayerState;
  /** Video rungs by name, lowest first (empty until the manifest is read). */
  renditions(): string[];
  /** Pin a rung by name (no adaptation), or adapt again with no argument; throws RangeError for an unknown name. */
  pin(rendition?: string): void;
  /** Every init (index -1) and media segment fetched so far, audio included, in order. */
  segmentsLoaded(): SegmentLoad[];
  /** Stops playback, releases the player library and zeroes the page's copy of the key. */
  destroy(): Promise<void>;
}

const DEFAULT_STALL_TIMEOUT_MS = 3000;
const STALL_LOOK_EVERY_MS = 250;

/**
 * Plays one media for its recipient in a browser page. Everything that can be known before a
 * player library starts is checked first, and a failure there rejects with an AirlockPlayerError
 * (after reporting `failed` to onState): a media not ready, a recipient not on it, a key that
 * does not unwrap, a browser without MediaSource. After that, failures come only through onState.
 */
export async function createAirlockPlayer(o: AirlockPlayerOptions): Promise<AirlockPlayer> {
  const reporter = new StateReporter(o.onState);
  o.onState?.(reporter.state);
  let held: HeldKey | undefined;
  let engine: PlaybackEngine;
  try {
    const manifests = o.media.manifests;
    if (o.media.state !== 'ready' || !manifests) throw new AirlockPlayerError('media_not_ready', `media ${o.media.id} is ${o.media.state}`);
    const format = chooseFormat(o.format ?? 'auto', browserSupport(o.video));
    held = { mediaId: o.media.id, keyIdHex: o.media.keyId.toLowerCase(), key: await outputKeyFor(o.media, o.key) };
    const manifestUrl = new URL(manifests[format], o.apiBaseUrl ?? globalThis.location.origin).href;
    engine = await startEngine(format, { manifestUrl, held, o, reporter });
  } catch (e) {
    held?.key.fill(0);
    const failure = e instanceof AirlockPlayerError ? e : new AirlockPlayerError('unsupported_browser', `the player could not start: ${e instanceof Error ? e.message : String(e)}`);
    reporter.set({ state: 'failed', reason: failure.reason, detail: failure.detail });
    throw failure;
  }
  return new RunningPlayer(o, engine, held, reporter);
}

interface EngineContext {
  manifestUrl: string;
  held: HeldKey;
  o: AirlockPlayerOptions;
  reporter: StateReporter;
}

/** Segments and rendition an engine reports, before the player object exists. */
class EngineLog {
  readonly segments: SegmentLoad[] = [];
  rendition: string | undefined;
  onRendition?: () => void;
  onFailure?: (reason: PlayerFailure, detail: string) => void;
}

const logs = new WeakMap<PlaybackEngine, EngineLog>();

async function startEngine(format: PlayerFormat, c: EngineContext): Promise<PlaybackEngine> {
  const log = new EngineLog();
  const start = {
    video: c.o.video,
    manifestUrl: c.manifestUrl,
    key: c.held,
    rendition: c.o.rendition,
    events: {
      renditionShown: (r: string | undefined) => {
        log.rendition = r;
        log.onRendition?.();
      },
      segmentLoaded: (s: SegmentLoad) => void log.segments.push(s),
      failed: (reason: PlayerFailure, detail: string) => {
        if (log.onFailure) log.onFailure(reason, detail);
        else c.reporter.set({ state: 'failed', reason, detail });
      },
    },
  };
  const engine = format === 'hls' ? await (await import(/* webpackChunkName: "hls" */ './hls-engine')).startHlsEngine(start) : await (await import(/* webpackChunkName: "shaka" */ './dash-engine')).startDashEngine(start);
  logs.set(engine, log);
  return engine;
}

/** The player once a library runs: turns <video> events and the engine's reports into states. */
class RunningPlayer implements AirlockPlayer {
  readonly format: PlayerFormat;
  private readonly log: EngineLog;
  private readonly stall: StallWatch;
  private readonly timer: ReturnType<typeof setInterval>;
  private hasPlayed = false;
  private destroyed = false;
  private readonly listeners: [string, () => void][];

  constructor(
    private readonly o: AirlockPlayerOptions,
    private readonly engine: PlaybackEngine,
    private readonly held: HeldKey,
    private readonly reporter: StateReporter,
  ) {
    this.format = engine.format;
    this.log = logs.get(engine) ?? new EngineLog();
    this.stall = new StallWatch(o.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS);
    this.log.onFailure = (reason, detail) => this.fail(reason, detail);
    this.log.onRendition = () => this.showPlaying();
    const v = o.video;
    this.listeners = [
      ['playing', () => ((this.hasPlayed = true), this.showPlaying())],
      ['ended', () => this.reporter.set({ state: 'ended' })],
      ['error', () => this.fail('decode_failed', `the video element failed: ${v.error?.message || `code ${v.error?.code ?? '?'}`}`)],
      ['loadedmetadata', () => this.autoplay()],
    ];
    for (const [name, fn] of this.listeners) v.addEventListener(name, fn);
    this.timer = setInterval(() => this.lookForStall(), STALL_LOOK_EVERY_MS);
    // A failure the engine reported while it was starting.
    if (this.reporter.failed) void this.release();
  }

  state(): PlayerState {
    const s = this.reporter.state;
    return s.state === 'stalled' ? { state: 'stalled', forMs: this.stall.stalledForMs(performance.now()) } : s;
  }

  renditions(): string[] {
    return this.engine.renditions();
  }

  pin(rendition?: string): void {
    this.engine.pin(rendition);
  }

  segmentsLoaded(): SegmentLoad[] {
    return [...this.log.segments];
  }

  async destroy(): Promise<void> {
    await this.release();
  }

  private autoplay(): void {
    if (this.o.autoplay === false) return;
    // A refused autoplay is the app's to handle (a muted start or a tap); it is not a failure.
    this.o.video.play().catch(() => undefined);
  }

  private showPlaying(): void {
    const s = this.reporter.state.state;
    if (!this.hasPlayed || s === 'ended' || s === 'stalled') return;
    this.reporter.set({ state: 'playing', ...(this.log.rendition ? { rendition: this.log.rendition } : {}) });
  }

  private lookForStall(): void {
    if (!this.hasPlayed || this.reporter.failed) return;
    const v = this.o.video;
    const now = performance.now();
    const change = this.stall.observe(now, { currentTime: v.currentTime, paused: v.paused, ended: v.ended });
    if (change === 'stalled') this.reporter.set({ state: 'stalled', forMs: this.stall.stalledForMs(now) });
    if (change === 'resumed' && !v.ended) {
      this.reporter.set({ state: 'playing', ...(this.log.rendition ? { rendition: this.log.rendition } : {}) });
    }
  }

  private fail(reason: PlayerFailure, detail: string): void {
    if (this.reporter.set({ state: 'failed', reason, detail })) void this.release();
  }

  /** Stops everything, once; the log of segments stays readable. */
  private async release(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    clearInterval(this.timer);
    for (const [name, fn] of this.listeners) this.o.video.removeEventListener(name, fn);
    this.held.key.fill(0);
    await this.engine.destroy();
  }
}

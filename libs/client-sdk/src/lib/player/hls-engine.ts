import type HlsType from 'hls.js';
import type { ErrorData, HlsConfig, Level, LoaderCallbacks, LoaderConfiguration, LoaderContext } from 'hls.js';
import { segmentPlaceOf } from '@airlock/domain';
import { answerKeyUri, type HeldKey } from './key-uri-answer';
import { hlsFailureOf } from './hls-failure';
import { findRung, renditionOfPlaylistUrl, rungName } from './rendition-names';
import { opensAsFmp4 } from '@airlock/domain';
import type { EngineStart, PlaybackEngine } from './playback-engine';
import { AirlockPlayerError } from './player-state';

type HlsClass = typeof HlsType;

/**
 * hls.js's own loader, except for key requests: an `airlock-key://` URI is answered from the
 * page's memory (hls.js then decrypts AES-128 itself), any other key URI fails as not held. No
 * key request ever reaches the network.
 */
function keyAnsweringLoader(Hls: HlsClass, held: HeldKey, answered: () => void): HlsConfig['loader'] {
  const Base = Hls.DefaultConfig.loader;
  return class KeyAnsweringLoader extends Base {
    override load(context: LoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
      if (context.type !== 'key') return super.load(context, config, callbacks);
      const stats = this.stats;
      // Answered on a later task, as a network answer would be: hls.js sets up its bookkeeping after load() returns.
      setTimeout(() => {
        if (stats.aborted) return;
        const key = answerKeyUri(context.url, held);
        const now = performance.now();
        stats.loading.start = stats.loading.first = stats.loading.end = now;
        if (!key) return callbacks.onError({ code: 0, text: `the page holds no key for ${context.url}` }, context, null, stats);
        stats.loaded = stats.total = key.length;
        answered();
        callbacks.onSuccess({ url: context.url, data: key.buffer }, stats, context, null);
      }, 0);
    }
  };
}

function describe(data: ErrorData): string {
  const url = data.frag?.url ?? data.url;
  return `hls.js ${data.type} ${data.details}${data.response?.code ? ` (HTTP ${data.response.code})` : ''}${url ? ` for ${url}` : ''}${data.error?.message ? `: ${data.error.message}` : ''}`;
}

function levelName(level: Level, index: number): string {
  return rungName({ name: renditionOfPlaylistUrl(level.uri), height: level.height }, index);
}

/** Plays an Airlock HLS presentation through hls.js, the key answered from memory. */
export async function startHlsEngine(s: EngineStart): Promise<PlaybackEngine> {
  const { default: Hls } = await import(/* webpackChunkName: "hls" */ 'hls.js');
  if (!Hls.isSupported()) throw new AirlockPlayerError('unsupported_browser', 'hls.js finds no usable MediaSource');
  let keyHandedOver = false;
  const hls = new Hls({
    loader: keyAnsweringLoader(Hls, s.key, () => (keyHandedOver = true)),
    enableWorker: true,
    lowLatencyMode: false,
    capLevelToPlayerSize: false,
  });
  // Kept once read, so an app can still list them after a failure released hls.js.
  let known: string[] = [];
  const names = () => (hls.levels.length > 0 ? (known = hls.levels.map(levelName)) : known);
  const indexOf = (rendition: string): number => {
    const i = findRung(hls.levels.map((l) => ({ name: renditionOfPlaylistUrl(l.uri), height: l.height })), rendition);
    if (i < 0) throw new RangeError(`no rendition ${rendition} (have ${names().join(', ')})`);
    return i;
  };

  hls.on(Hls.Events.ERROR, (_e, data: ErrorData) => {
    if (data.details === 'fragLoadError' || data.details === 'fragLoadTimeOut') lastSegmentError = describe(data);
    const reason = hlsFailureOf(data, keyHandedOver);
    if (reason) s.events.failed(reason, describe(data));
  });
  let pinnedLevel = -1;
  let lastSegmentError = '';
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    names();
    if (s.rendition === undefined) return;
    try {
      // loadLevel pins the rung for every fragment from the first on, without flushing anything.
      hls.loadLevel = pinnedLevel = indexOf(s.rendition);
    } catch (e) {
      s.events.failed('manifest_unavailable', (e as Error).message);
    }
  });
  // hls.js leaves even a manually chosen level when one of its segments cannot be fetched; a
  // pinned rung that cannot be played through is a failure, not a quiet switch.
  hls.on(Hls.Events.LEVEL_SWITCHING, (_e, data) => {
    // hls.js switches inside its own handling of the segment's ERROR event, before this page's listener hears of it.
    if (pinnedLevel >= 0 && data.level !== pinnedLevel) setTimeout(() => s.events.failed('segment_unavailable', lastSegmentError || `hls.js left the pinned rendition for level ${data.level}`), 0);
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_e, data) => {
    const level = hls.levels[data.level];
    s.events.renditionShown(level ? levelName(level, data.level) : undefined);
  });
  const logged = (url: string) => {
    const place = segmentPlaceOf(url);
    if (place) s.events.segmentLoaded({ ...place, url });
  };
  // hls.js reports a media segment as loaded, an init segment only once decrypted (every Airlock init segment is encrypted).
  hls.on(Hls.Events.FRAG_LOADED, (_e, data) => logged(data.frag.url));
  hls.on(Hls.Events.FRAG_DECRYPTED, (_e, data) => {
    if (data.frag.sn !== 'initSegment') return;
    logged(data.frag.url);
    // Every rendition's init is decrypted before its media: a key that opens it to something else is wrong, whatever hls.js would make of the bytes.
    if (!opensAsFmp4(new Uint8Array(data.payload))) s.events.failed('key_wrong', `the init segment ${data.frag.url} decrypts to bytes that are not fMP4`);
  });

  hls.attachMedia(s.video);
  hls.loadSource(s.manifestUrl);

  return {
    format: 'hls',
    renditions: names,
    pin(rendition?: string) {
      // currentLevel switches at once (flushing what is buffered of another rung); -1 adapts again.
      pinnedLevel = rendition === undefined ? -1 : indexOf(rendition);
      hls.currentLevel = pinnedLevel;
    },
    async destroy() {
      hls.destroy();
    },
  };
}

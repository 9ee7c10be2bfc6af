import type HlsType from 'hls.js';
import type { ErrorData, HlsConfig, Level, LoaderCallbacks, LoaderConfiguration, LoaderContext } from 'hls.js';
import { segmentPlaceOf } from '@airlock/domain';
import { answerKeyUri, type HeldKey } from './key-uri-answer';
import { hlsFailureOf } from './hls-failure';
import { findRung, renditionOfPlaylistUrl, rungName } from './rendition-names';
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
  const names = () => hls.levels.map(levelName);
  const indexOf = (rendition: string): number => {
    const i = findRung(hls.levels.map((l) => ({ name: renditionOfPlaylistUrl(l.uri), height: l.height })), rendition);
    if (i < 0) throw new RangeError(`no rendition ${rendition} (have ${names().join(', ')})`);
    return i;
  };

  hls.on(Hls.Events.ERROR, (_e, data: ErrorData) => {
    const reason = hlsFailureOf(data, keyHandedOver);
    if (reason) s.events.failed(reason, `hls.js ${data.type} ${data.details}${data.response?.code ? ` (HTTP ${data.response.code})` : ''}${data.error?.message ? `: ${data.error.message}` : ''}`);
  });
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    if (s.rendition === undefined) return;
    try {
      // loadLevel pins the rung for every fragment from the first on, without flushing anything.
      hls.loadLevel = indexOf(s.rendition);
    } catch (e) {
      s.events.failed('manifest_unavailable', (e as Error).message);
    }
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_e, data) => {
    const level = hls.levels[data.level];
    s.events.renditionShown(level ? levelName(level, data.level) : undefined);
  });
  hls.on(Hls.Events.FRAG_LOADED, (_e, data) => {
    const url = data.frag.url;
    const place = segmentPlaceOf(url);
    if (place) s.events.segmentLoaded({ ...place, url });
  });

  hls.attachMedia(s.video);
  hls.loadSource(s.manifestUrl);

  return {
    format: 'hls',
    renditions: names,
    pin(rendition?: string) {
      // currentLevel switches at once (flushing what is buffered of another rung); -1 adapts again.
      hls.currentLevel = rendition === undefined ? -1 : indexOf(rendition);
    },
    async destroy() {
      hls.destroy();
    },
  };
}

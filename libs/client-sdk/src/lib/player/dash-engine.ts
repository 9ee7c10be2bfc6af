import { segmentPlaceOf } from '@airlock/domain';
import { AirlockPlayerError } from './player-state';
import type { EngineStart, PlaybackEngine } from './playback-engine';
import { findRung, rungName } from './rendition-names';
import { assertMpdKey, decryptSegmentAt } from './segment-response';
import { pinningAbr } from './shaka-pinning-abr';
import { shakaFailureOf, type ShakaErrorFacts } from './shaka-failure';

const asBytes = (d: ArrayBuffer | ArrayBufferView): Uint8Array => (d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength));

function describe(e: ShakaErrorFacts): string {
  const cause = e.data.find((d): d is Error => d instanceof Error);
  const status = e.code === 1001 ? ` HTTP ${String(e.data[1])} for ${String(e.data[0])}` : '';
  return `shaka error ${e.code} (category ${e.category})${status}${cause ? `: ${cause.name}: ${cause.message}` : ''}`;
}

const isShakaError = (e: unknown): e is ShakaErrorFacts => typeof e === 'object' && e !== null && 'code' in e && 'category' in e && 'severity' in e;

/**
 * Plays an Airlock DASH presentation through shaka (its DASH-only build), with no DRM: a response
 * filter decrypts every init and media segment whole, its IV derived from the rendition and index
 * its URL names, before shaka parses it. The MPD is checked first for the key it names.
 */
export async function startDashEngine(s: EngineStart): Promise<PlaybackEngine> {
  const { default: shaka } = await import(/* webpackChunkName: "shaka" */ 'shaka-player/dist/shaka-player.dash-es2021.js');
  shaka.polyfill.installAll();
  if (!shaka.Player.isBrowserSupported()) throw new AirlockPlayerError('unsupported_browser', 'shaka finds this browser unsupported');
  const player = new shaka.Player();
  let pinned = s.rendition;
  player.configure({
    abrFactory: () => pinningAbr(new shaka.abr.SimpleAbrManager(), () => pinned),
    abr: { enabled: pinned === undefined },
  });
  await player.attach(s.video);
  const RequestType = shaka.net.NetworkingEngine.RequestType;

  player.getNetworkingEngine()?.registerResponseFilter(async (type, response) => {
    if (type === RequestType.MANIFEST) return assertMpdKey(new TextDecoder().decode(response.data), s.key.keyIdHex);
    if (type !== RequestType.SEGMENT) return;
    const place = segmentPlaceOf(response.uri);
    if (place) s.events.segmentLoaded({ ...place, url: response.uri });
    response.data = (await decryptSegmentAt(response.uri, asBytes(response.data), s.key.key, s.key.keyIdHex)).clear;
  });

  const fail = (e: unknown) => {
    if (!isShakaError(e)) return s.events.failed('decode_failed', e instanceof Error ? e.message : String(e));
    const reason = shakaFailureOf(e);
    if (reason) s.events.failed(reason, describe(e));
  };
  player.addEventListener('error', (ev) => fail((ev as unknown as { detail: unknown }).detail));

  const rungs = () => {
    const seen = new Set<string>();
    return player
      .getVariantTracks()
      .map((t, i) => ({ track: t, name: rungName({ name: t.originalVideoId ?? undefined, height: t.height ?? undefined }, i) }))
      .filter((r) => !seen.has(r.name) && seen.add(r.name));
  };
  const shown = () => {
    const active = player.getVariantTracks().find((t) => t.active);
    s.events.renditionShown(active ? rungName({ name: active.originalVideoId ?? undefined, height: active.height ?? undefined }, active.id) : undefined);
  };
  const trackOf = (rendition: string) => {
    const all = rungs();
    const i = findRung(
      all.map((r) => ({ name: r.name, height: r.track.height ?? undefined })),
      rendition,
    );
    if (i < 0) throw new RangeError(`no rendition ${rendition} (have ${all.map((r) => r.name).join(', ')})`);
    return all[i].track;
  };
  // Kept once read, so an app can still list them after a failure released shaka.
  let known: string[] = [];
  player.addEventListener('trackschanged', () => (known = rungs().map((r) => r.name)));
  player.addEventListener('variantchanged', shown);
  player.addEventListener('adaptation', shown);
  player.load(s.manifestUrl).then(shown, fail);

  return {
    format: 'dash',
    renditions: () => {
      const now = rungs().map((r) => r.name);
      return now.length > 0 ? (known = now) : known;
    },
    pin(rendition?: string) {
      if (rendition === undefined) {
        pinned = undefined;
        player.configure('abr.enabled', true);
        return;
      }
      const track = trackOf(rendition);
      pinned = rendition;
      player.configure('abr.enabled', false);
      player.selectVariantTrack(track, true);
    },
    async destroy() {
      await player.destroy();
    },
  };
}

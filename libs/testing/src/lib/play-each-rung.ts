import { parseMpd } from './mpd';
import {
  type PlayKey,
  type PlayResult,
  type PlayableMedia,
  play,
} from './player';
import type { PlayerServer } from './player-server';
import { missingSegments, otherRenditionsLoaded } from './segment-coverage';

export interface PlayEachRungOptions {
  media: PlayableMedia;
  key: PlayKey;
  format: 'hls' | 'dash';
  /** A running startPlayerServer(), or the upstream to start one on for each play. */
  server?: PlayerServer;
  upstreamBaseUrl?: string;
  /** Only these rungs (default: every video Representation of the media's MPD). */
  rungs?: readonly string[];
  stallTimeoutMs?: number;
  /** Budget of each play (default 120000). */
  timeoutMs?: number;
}

/** One rung's play: `problems` is empty when it played through as it should. */
export interface RungVerdict {
  rendition: string;
  problems: string[];
  result: PlayResult;
}

/**
 * A frame size the <video> element showed is the rung's when each side is within a pixel of the
 * rung's coded size: the element shows the display size, which rounds the sample aspect ratio
 * (a 426x240 rung with square-ish pixels shows as 427x240).
 */
function showsRung(
  size: string,
  rung: { width?: number; height?: number },
): boolean {
  const [width, height] = size.split('x').map(Number);
  return (
    Math.abs(width - (rung.width ?? width)) <= 1 &&
    Math.abs(height - (rung.height ?? height)) <= 1
  );
}

/**
 * What is wrong with one pinned play: a failure, a stall, not reaching the end, another rung shown,
 * another frame size, a segment of the rung or of audio not loaded, another rung's segment loaded.
 */
export function pinnedPlayProblems(
  result: PlayResult,
  rung: { id: string; width?: number; height?: number; segments: number },
  audioSegments: number | undefined,
): string[] {
  const problems: string[] = [];
  if (result.failure)
    problems.push(
      `failed: ${result.failure.reason} (${result.failure.detail})`,
    );
  if (result.timedOut) problems.push('timed out');
  for (const s of result.stalls) problems.push(`stalled at ${s.atMs} ms`);
  if (!result.reachedEnd)
    problems.push(`did not reach the end (at ${result.currentTime} s)`);
  if (result.renditionsShown.join() !== rung.id)
    problems.push(
      `showed ${result.renditionsShown.join(', ') || 'no rendition'}`,
    );
  if (result.frameSizes.length !== 1 || !showsRung(result.frameSizes[0], rung))
    problems.push(`frame sizes ${result.frameSizes.join(', ') || 'none'}`);
  const expected: Record<string, number> = { [rung.id]: rung.segments };
  if (audioSegments !== undefined) expected['audio'] = audioSegments;
  const missing = missingSegments(result.segments, expected);
  if (missing.length > 0) problems.push(`not loaded: ${missing.join(', ')}`);
  const others = otherRenditionsLoaded(result.segments, Object.keys(expected));
  if (others.length > 0) problems.push(`also loaded ${others.join(', ')}`);
  return problems;
}

/**
 * Pins every video rung of a media in turn and plays it through with the SDK player: the rungs,
 * their frame sizes and segment counts come from the media's MPD (the same segments serve HLS).
 * Resolves to one verdict per rung, in MPD order.
 */
export async function playEachRung(
  options: PlayEachRungOptions,
): Promise<RungVerdict[]> {
  const dash = options.media.manifests?.dash;
  if (!dash) throw new Error(`media ${options.media.id} has no manifests`);
  const upstream =
    options.server?.upstreamBaseUrl ?? options.upstreamBaseUrl ?? '';
  const mpdUrl = /^[a-z][a-z0-9+.-]*:/i.test(dash)
    ? dash
    : `${upstream.replace(/\/+$/, '')}/${dash.replace(/^\/+/, '')}`;
  const answer = await fetch(mpdUrl);
  if (!answer.ok) throw new Error(`${mpdUrl} answers ${answer.status}`);
  const mpd = parseMpd(await answer.text());
  const audio = mpd.representations.find((r) => r.id === 'audio');
  const rungs = mpd.representations.filter(
    (r) => r !== audio && (!options.rungs || options.rungs.includes(r.id)),
  );
  const verdicts: RungVerdict[] = [];
  for (const rung of rungs) {
    const result = await play({
      media: options.media,
      key: options.key,
      format: options.format,
      rendition: rung.id,
      ...(options.server
        ? { server: options.server }
        : { upstreamBaseUrl: upstream }),
      ...(options.stallTimeoutMs
        ? { stallTimeoutMs: options.stallTimeoutMs }
        : {}),
      timeoutMs: options.timeoutMs ?? 120_000,
    });
    verdicts.push({
      rendition: rung.id,
      problems: pinnedPlayProblems(result, rung, audio?.segments),
      result,
    });
  }
  return verdicts;
}

import { findProfile, VideoProfile } from './profiles';

export interface SourceVideo {
  readonly width: number;
  readonly height: number;
  readonly hdr: boolean;
}

export interface Rendition {
  readonly name: string;
  readonly codec: VideoProfile['codec'];
  readonly width: number;
  readonly height: number;
  readonly bitrateKbps: number;
  readonly hdr: boolean;
}

export interface LadderDecision {
  readonly renditions: Rendition[];
  /** Profiles asked for but skipped, with why (shown in the explain timeline). */
  readonly skipped: { name: string; reason: 'would_upscale' | 'source_not_hdr' | 'unknown_profile' }[];
}

/** Nearest even size (yuv420p needs even sizes), never above the source's own (even) size. */
const fit = (n: number, sourceSize: number) => Math.max(2, Math.min(2 * Math.round(n / 2), 2 * Math.floor(sourceSize / 2)));

/** Output size for a profile: scale so the short side matches, keep aspect, even numbers (yuv420p). */
export function renditionSize(source: SourceVideo, shortSide: number): { width: number; height: number } {
  const landscape = source.width >= source.height;
  const srcShort = landscape ? source.height : source.width;
  const scale = shortSide / srcShort;
  return landscape
    ? { width: fit(source.width * scale, source.width), height: fit(shortSide, source.height) }
    : { width: fit(shortSide, source.width), height: fit(source.height * scale, source.height) };
}

/**
 * Pick the rungs for a source: never upscale, HDR rungs only for HDR sources.
 * A source smaller than every requested rung still gets one rung, at its own size.
 */
export function planLadder(source: SourceVideo, requested: readonly string[]): LadderDecision {
  const srcShort = Math.min(source.width, source.height);
  const skipped: LadderDecision['skipped'] = [];
  const chosen: VideoProfile[] = [];
  for (const name of new Set(requested)) {
    const profile = findProfile(name);
    if (!profile) skipped.push({ name, reason: 'unknown_profile' });
    else if (profile.hdr && !source.hdr) skipped.push({ name, reason: 'source_not_hdr' });
    else if (profile.shortSide > srcShort) skipped.push({ name, reason: 'would_upscale' });
    else chosen.push(profile);
  }
  const renditions = chosen
    .sort((a, b) => a.shortSide - b.shortSide || a.bitrateKbps - b.bitrateKbps)
    .map((p) => ({ name: p.name, codec: p.codec, bitrateKbps: p.bitrateKbps, hdr: p.hdr, ...renditionSize(source, p.shortSide) }));

  if (renditions.length === 0) {
    const smallest = requested
      .map(findProfile)
      .filter((p): p is VideoProfile => !!p && !p.hdr)
      .sort((a, b) => a.shortSide - b.shortSide)[0];
    if (smallest) {
      const size = renditionSize(source, srcShort);
      const bitrate = Math.round((smallest.bitrateKbps * srcShort) / smallest.shortSide);
      renditions.push({ name: smallest.name, codec: smallest.codec, bitrateKbps: bitrate, hdr: false, ...size });
      const i = skipped.findIndex((s) => s.name === smallest.name);
      if (i >= 0) skipped.splice(i, 1);
    }
  }
  return { renditions, skipped };
}

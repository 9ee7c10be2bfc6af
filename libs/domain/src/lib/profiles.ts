/**
 * Named output profiles. Clients choose by name; FFmpeg arguments are derived from
 * these by the worker's builders, never sent by clients.
 */
export type VideoCodec = 'h264' | 'hevc';

/**
 * What a rung costs to encode, decided here once: `heavy` rungs (4K, HEVC, HDR) take many
 * times a light rung's CPU and go to the `gpu` lane when the fleet has hardware encoders
 * (lanes.ts `workLaneFor`).
 */
export type CostClass = 'light' | 'heavy';

export interface VideoProfile {
  readonly name: string;
  /** Short side in pixels ("720p" is 720 high for landscape, 720 wide for portrait). */
  readonly shortSide: number;
  readonly codec: VideoCodec;
  readonly bitrateKbps: number;
  readonly hdr: boolean;
  readonly cost: CostClass;
}

export const VIDEO_PROFILES: readonly VideoProfile[] = [
  { name: '240p', shortSide: 240, codec: 'h264', bitrateKbps: 400, hdr: false, cost: 'light' },
  { name: '360p', shortSide: 360, codec: 'h264', bitrateKbps: 800, hdr: false, cost: 'light' },
  { name: '480p', shortSide: 480, codec: 'h264', bitrateKbps: 1400, hdr: false, cost: 'light' },
  { name: '720p', shortSide: 720, codec: 'h264', bitrateKbps: 2800, hdr: false, cost: 'light' },
  { name: '1080p', shortSide: 1080, codec: 'h264', bitrateKbps: 5000, hdr: false, cost: 'light' },
  { name: '1080p_hdr', shortSide: 1080, codec: 'hevc', bitrateKbps: 8000, hdr: true, cost: 'heavy' },
  { name: '2160p', shortSide: 2160, codec: 'hevc', bitrateKbps: 16000, hdr: false, cost: 'heavy' },
  { name: '2160p_hdr', shortSide: 2160, codec: 'hevc', bitrateKbps: 24000, hdr: true, cost: 'heavy' },
];

/**
 * Chat profile: a muted 360p H.264 preview of the first 6 seconds of the video. It is its own
 * small sub-flow, queued ahead of the ladder, so a chat can show the video playing (muted,
 * as chats autoplay) long before every rung is done; the early stage then brings the whole
 * length at the lowest rung. Short on purpose: its encode is what the recipient waits for
 * (15 s took 4.0 s to preview_ready for a 10 s 1080p clip on 2 cores, 6 s takes 2.8 s:
 * `node bench/first-playable.mjs --only 10 --runs 3`).
 */
export const PREVIEW_PROFILE = { name: 'preview_360p', shortSide: 360, codec: 'h264', bitrateKbps: 600, hdr: false, maxSec: 6 } as const;

export function isPreviewRendition(name: string): boolean {
  return name === PREVIEW_PROFILE.name;
}

/**
 * Chat profiles delivered as single files, each sealed for recipients as an AES-GCM blob:
 * a poster frame, a short looping animated preview, and one normalized faststart MP4 for
 * devices and share sheets that want a file rather than a stream. Sizes are short sides,
 * capped at the source's.
 */
export const FILE_PROFILES = [
  { name: 'poster', kind: 'poster', shortSide: 480, ext: 'jpg', contentType: 'image/jpeg' },
  { name: 'animated_preview', kind: 'animated', shortSide: 240, ext: 'webp', contentType: 'image/webp', maxSec: 3, fps: 10 },
  { name: 'mobile_mp4_720p', kind: 'mp4', shortSide: 720, ext: 'mp4', contentType: 'video/mp4', bitrateKbps: 2800 },
] as const;
export type FileProfile = (typeof FILE_PROFILES)[number];

export function findFileProfile(name: string): FileProfile | undefined {
  return FILE_PROFILES.find((p) => p.name === name);
}

/** Every profile a client may name. */
export const PROFILE_NAMES: readonly string[] = [PREVIEW_PROFILE.name, ...VIDEO_PROFILES.map((p) => p.name), ...FILE_PROFILES.map((p) => p.name)];

/** The ladder used when a request names no profiles. */
export const DEFAULT_LADDER = ['240p', '360p', '720p', '1080p'] as const;

/** The profiles used when a request names none: the preview, the ladder, and the chat files. */
export const DEFAULT_PROFILES = [PREVIEW_PROFILE.name, ...DEFAULT_LADDER, ...FILE_PROFILES.map((p) => p.name)] as const;

export const AUDIO_PROFILE = { name: 'audio', codec: 'aac', bitrateKbps: 128, sampleRate: 48000 } as const;

export function findProfile(name: string): VideoProfile | undefined {
  return VIDEO_PROFILES.find((p) => p.name === name);
}

/** Rungs whose encode is expensive enough to route to capable workers; chat files and audio are light. */
export function isHeavyRendition(name: string): boolean {
  return findProfile(name)?.cost === 'heavy';
}

export function unknownProfiles(names: readonly string[]): string[] {
  return names.filter((n) => !PROFILE_NAMES.includes(n));
}

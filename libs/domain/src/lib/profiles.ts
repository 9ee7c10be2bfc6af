/**
 * Named output profiles. Clients choose by name; FFmpeg arguments are derived from
 * these by the worker's builders, never sent by clients.
 */
export type VideoCodec = 'h264' | 'hevc';

export interface VideoProfile {
  readonly name: string;
  /** Short side in pixels ("720p" is 720 high for landscape, 720 wide for portrait). */
  readonly shortSide: number;
  readonly codec: VideoCodec;
  readonly bitrateKbps: number;
  readonly hdr: boolean;
}

export const VIDEO_PROFILES: readonly VideoProfile[] = [
  { name: '240p', shortSide: 240, codec: 'h264', bitrateKbps: 400, hdr: false },
  { name: '360p', shortSide: 360, codec: 'h264', bitrateKbps: 800, hdr: false },
  { name: '480p', shortSide: 480, codec: 'h264', bitrateKbps: 1400, hdr: false },
  { name: '720p', shortSide: 720, codec: 'h264', bitrateKbps: 2800, hdr: false },
  { name: '1080p', shortSide: 1080, codec: 'h264', bitrateKbps: 5000, hdr: false },
  { name: '1080p_hdr', shortSide: 1080, codec: 'hevc', bitrateKbps: 8000, hdr: true },
  { name: '2160p', shortSide: 2160, codec: 'hevc', bitrateKbps: 16000, hdr: false },
  { name: '2160p_hdr', shortSide: 2160, codec: 'hevc', bitrateKbps: 24000, hdr: true },
];

/** The ladder used when a request names no profiles. */
export const DEFAULT_PROFILES = ['240p', '360p', '720p', '1080p'] as const;

export const AUDIO_PROFILE = { name: 'audio', codec: 'aac', bitrateKbps: 128, sampleRate: 48000 } as const;

export function findProfile(name: string): VideoProfile | undefined {
  return VIDEO_PROFILES.find((p) => p.name === name);
}

export function unknownProfiles(names: readonly string[]): string[] {
  return names.filter((n) => !findProfile(n));
}

import { storageKeys } from '@airlock/domain';
import { writeDashMpd } from './dash-mpd.writer';
import { writeHlsMaster } from './hls-master.writer';
import { hlsMediaKey, writeHlsMediaPlaylist } from './hls-media.writer';
import { type ManifestInput, validateManifestInput } from './manifest-input';

export const HLS_CONTENT_TYPE = 'application/vnd.apple.mpegurl';
export const DASH_CONTENT_TYPE = 'application/dash+xml';

export interface ManifestFile {
  /** Bucket key, under storageKeys.manifestDir(mediaId, version). */
  key: string;
  contentType: string;
  body: string;
}

export interface WrittenManifests {
  hlsKey: string;
  dashKey: string;
  /** Renditions in manifest order: video by bandwidth ascending, then audio. */
  renditions: string[];
  /** Master playlist, media playlists (in rendition order), then the MPD. */
  files: ManifestFile[];
}

/**
 * Validates the input and renders every manifest for one version. Pure and deterministic: the same
 * facts give byte-identical files whatever order they arrive in. Throws ManifestInputError.
 */
export function writeManifests(input: ManifestInput): WrittenManifests {
  const presentation = validateManifestInput(input);
  const { mediaId, version, video, audio } = presentation;
  const tracks = [...video, ...(audio ? [audio] : [])];
  const hlsKey = storageKeys.hlsMaster(mediaId, version);
  const dashKey = storageKeys.dashManifest(mediaId, version);
  return {
    hlsKey,
    dashKey,
    renditions: tracks.map((t) => t.stream.rendition),
    files: [
      {
        key: hlsKey,
        contentType: HLS_CONTENT_TYPE,
        body: writeHlsMaster(presentation),
      },
      ...tracks.map((track) => ({
        key: hlsMediaKey(mediaId, version, track),
        contentType: HLS_CONTENT_TYPE,
        body: writeHlsMediaPlaylist(mediaId, version, track),
      })),
      {
        key: dashKey,
        contentType: DASH_CONTENT_TYPE,
        body: writeDashMpd(presentation),
      },
    ],
  };
}

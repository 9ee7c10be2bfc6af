import { storageKeys } from '@airlock/domain';
import { writeDashMpd } from './dash-mpd.writer';
import { writeHlsMaster } from './hls-master.writer';
import {
  hlsMediaKey,
  hlsTrackKeys,
  writeHlsMediaPlaylist,
} from './hls-media.writer';
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
 * Async because an encrypted rendition's HLS IVs are derived (WebCrypto) before its playlist is written.
 */
export async function writeManifests(
  input: ManifestInput,
): Promise<WrittenManifests> {
  const presentation = validateManifestInput(input);
  const { mediaId, version, video, audio, encryption } = presentation;
  const tracks = [...video, ...(audio ? [audio] : [])];
  const keys = encryption
    ? await Promise.all(
        tracks.map((track) => hlsTrackKeys(mediaId, encryption, track)),
      )
    : [];
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
      ...tracks.map((track, i) => ({
        key: hlsMediaKey(mediaId, version, track),
        contentType: HLS_CONTENT_TYPE,
        body: writeHlsMediaPlaylist(mediaId, version, track, keys.at(i)),
      })),
      {
        key: dashKey,
        contentType: DASH_CONTENT_TYPE,
        body: writeDashMpd(presentation),
      },
    ],
  };
}

/**
 * The one bucket layout (DESIGN section 7), computable without the database.
 * Content-hash keys make outputs immutable: a retry that produces the same bytes
 * lands on the same key, a different encode can never overwrite a verified one.
 */
export const storageKeys = {
  source: (mediaId: string, sha256: string) => `src/${mediaId}/${sha256}`,
  attemptPrefix: (mediaId: string, attemptId: string) => `work/${mediaId}/${attemptId}/`,
  segmentPrefix: (mediaId: string) => `seg/${mediaId}/`,
  initSegment: (mediaId: string, rendition: string, sha256: string) => `seg/${mediaId}/${rendition}/init-${sha256}.mp4`,
  mediaSegment: (mediaId: string, rendition: string, index: number, sha256: string) =>
    `seg/${mediaId}/${rendition}/${index}-${sha256}.m4s`,
  filePrefix: (mediaId: string) => `file/${mediaId}/`,
  /** A chat file (poster, animated preview, MP4), sealed: content-addressed like segments. */
  fileOutput: (mediaId: string, profile: string, sha256: string) => `file/${mediaId}/${profile}-${sha256}`,
  manifestDir: (mediaId: string, version: string) => `man/${mediaId}/${version}/`,
  hlsMaster: (mediaId: string, version: string) => `man/${mediaId}/${version}/master.m3u8`,
  hlsMedia: (mediaId: string, version: string, rendition: string) => `man/${mediaId}/${version}/${rendition}.m3u8`,
  dashManifest: (mediaId: string, version: string) => `man/${mediaId}/${version}/manifest.mpd`,
  mediaPrefixes: (mediaId: string) => [`src/${mediaId}/`, `work/${mediaId}/`, `seg/${mediaId}/`, `file/${mediaId}/`, `man/${mediaId}/`],
} as const;

/** The key an output object lands on: content-addressed, under its media and rendition. */
export function outputObjectKey(mediaId: string, f: { kind: 'init' | 'media' | 'file'; rendition: string; segmentIndex: number; sha256: string }): string {
  switch (f.kind) {
    case 'init':
      return storageKeys.initSegment(mediaId, f.rendition, f.sha256);
    case 'media':
      return storageKeys.mediaSegment(mediaId, f.rendition, f.segmentIndex, f.sha256);
    case 'file':
      return storageKeys.fileOutput(mediaId, f.rendition, f.sha256);
  }
}

/**
 * The only prefixes a player may read without a signature: published segments, chat files and
 * manifests, all ciphertext (a public-read bucket policy on these, private everywhere else).
 */
export const publicReadPrefixes: readonly string[] = ['seg/', 'file/', 'man/'];

/** Relative URI from one key to another, as written into playlists (same bucket). */
export function relativeKey(fromKey: string, toKey: string): string {
  const from = fromKey.split('/').slice(0, -1);
  const to = toKey.split('/');
  let common = 0;
  while (common < from.length && common < to.length - 1 && from[common] === to[common]) common++;
  return [...from.slice(common).map(() => '..'), ...to.slice(common)].join('/');
}

/**
 * Where a published segment sits, read from its key or URL path (`…/<rendition>/init-<sha>.mp4`
 * is index -1, `…/<rendition>/<index>-<sha>.m4s` is index): what a segment's AES-128 IV is
 * derived from, so a player that has only the URL can decrypt it. Undefined for anything else.
 */
export function segmentPlaceOf(keyOrPath: string): { rendition: string; index: number } | undefined {
  const m = /\/([A-Za-z0-9_-]+)\/(?:init-[0-9a-f]{64}\.mp4|(\d+)-[0-9a-f]{64}\.m4s)$/.exec(keyOrPath.split(/[?#]/)[0]);
  return m ? { rendition: m[1], index: m[2] === undefined ? -1 : Number(m[2]) } : undefined;
}

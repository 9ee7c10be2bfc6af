import { posix } from 'node:path';
import { relativeKey, segmentPlaceOf, storageKeys } from './storage-keys';

const SHA = 'a'.repeat(64);

describe('storageKeys', () => {
  it('lays out sources, work, segments and manifests per media', () => {
    expect(storageKeys.source('m1', SHA)).toBe(`src/m1/${SHA}`);
    expect(storageKeys.attemptPrefix('m1', 'at1')).toBe('work/m1/at1/');
    expect(storageKeys.segmentPrefix('m1')).toBe('seg/m1/');
    expect(storageKeys.initSegment('m1', '720p', SHA)).toBe(`seg/m1/720p/init-${SHA}.mp4`);
    expect(storageKeys.mediaSegment('m1', '720p', 3, SHA)).toBe(`seg/m1/720p/3-${SHA}.m4s`);
    expect(storageKeys.manifestDir('m1', 'v1')).toBe('man/m1/v1/');
    expect(storageKeys.hlsMaster('m1', 'v1')).toBe('man/m1/v1/master.m3u8');
    expect(storageKeys.hlsMedia('m1', 'v1', '720p')).toBe('man/m1/v1/720p.m3u8');
    expect(storageKeys.dashManifest('m1', 'v1')).toBe('man/m1/v1/manifest.mpd');
  });

  it('puts every object of a media under one of its prefixes', () => {
    const prefixes = storageKeys.mediaPrefixes('m1');
    const keys = [
      storageKeys.source('m1', SHA),
      storageKeys.attemptPrefix('m1', 'at1'),
      storageKeys.initSegment('m1', 'audio', SHA),
      storageKeys.mediaSegment('m1', '240p', 0, SHA),
      storageKeys.fileOutput('m1', 'poster', SHA),
      storageKeys.hlsMaster('m1', 'v1'),
      storageKeys.dashManifest('m1', 'v1'),
    ];
    for (const key of keys) expect(prefixes.some((p) => key.startsWith(p))).toBe(true);
    expect(prefixes).toEqual(['src/m1/', 'work/m1/', 'seg/m1/', 'file/m1/', 'man/m1/']);
  });

  it('keeps one media out of a media whose id shares a prefix', () => {
    expect(storageKeys.mediaSegment('m10', '720p', 0, SHA).startsWith(storageKeys.segmentPrefix('m1'))).toBe(false);
  });

  it('derives segment keys from the content hash', () => {
    const other = 'b'.repeat(64);
    expect(storageKeys.mediaSegment('m', '720p', 0, SHA)).not.toBe(storageKeys.mediaSegment('m', '720p', 0, other));
  });
});

describe('relativeKey', () => {
  it('climbs out of the manifest dir into the segment tree', () => {
    expect(relativeKey('man/m/v/master.m3u8', 'seg/m/720p/0-x.m4s')).toBe('../../../seg/m/720p/0-x.m4s');
  });

  it('returns the bare name for a key in the same directory', () => {
    expect(relativeKey('man/m/v/master.m3u8', 'man/m/v/720p.m3u8')).toBe('720p.m3u8');
    expect(relativeKey('master.m3u8', 'manifest.mpd')).toBe('manifest.mpd');
  });

  it('descends into a sub-directory of the same directory', () => {
    expect(relativeKey('man/m/v/master.m3u8', 'man/m/v/sub/a.m3u8')).toBe('sub/a.m3u8');
  });

  it('climbs only as far as the common prefix', () => {
    expect(relativeKey('man/m/v1/720p.m3u8', 'man/m/v2/720p.m3u8')).toBe('../v2/720p.m3u8');
    expect(relativeKey('seg/m/720p/0-x.m4s', 'seg/m/720p/init-x.mp4')).toBe('init-x.mp4');
  });

  it('does not treat the target file name as a shared directory', () => {
    // "v" is both a directory of `from` and the file name of `to`.
    expect(relativeKey('man/m/v/master.m3u8', 'man/m/v')).toBe('../v');
  });

  it('resolves back to the target from the source directory', () => {
    const pairs: [string, string][] = [
      ['man/m/v/master.m3u8', 'seg/m/720p/0-x.m4s'],
      ['man/m/v/720p.m3u8', 'seg/m/720p/init-x.mp4'],
      ['man/m/v/manifest.mpd', 'man/m/v/audio.m3u8'],
      ['a/b/c/d/e.txt', 'a/b/x/y.txt'],
      ['top.txt', 'a/b/c.txt'],
    ];
    for (const [from, to] of pairs) {
      expect(posix.join(posix.dirname(from), relativeKey(from, to))).toBe(to);
    }
  });
});

describe('segmentPlaceOf', () => {
  it('reads rendition and index from a segment key or URL, init as -1', () => {
    expect(segmentPlaceOf(storageKeys.initSegment('m1', '720p', SHA))).toEqual({ rendition: '720p', index: -1 });
    expect(segmentPlaceOf(`http://h:1/b/${storageKeys.mediaSegment('m1', 'audio', 12, SHA)}?x=1`)).toEqual({ rendition: 'audio', index: 12 });
    expect(segmentPlaceOf(storageKeys.fileOutput('m1', 'poster', SHA))).toBeUndefined();
    expect(segmentPlaceOf('seg/m1/720p/0-short.m4s')).toBeUndefined();
  });
});

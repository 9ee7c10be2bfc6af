import { findRung, renditionOfPlaylistUrl, rungName } from './rendition-names';

describe('rendition names', () => {
  it('reads the rendition from a media playlist URL', () => {
    expect(renditionOfPlaylistUrl('http://h/b/man/m1/v1/1080p_hdr.m3u8?x=1')).toBe('1080p_hdr');
    expect(renditionOfPlaylistUrl('http://h/b/man/m1/v1/master.m3u8')).toBe('master');
    expect(renditionOfPlaylistUrl('http://h/b/man/m1/v1/manifest.mpd')).toBeUndefined();
  });

  it('names a rung by its name, else its height, else its place', () => {
    expect(rungName({ name: '720p', height: 720 }, 0)).toBe('720p');
    expect(rungName({ height: 480 }, 1)).toBe('480p');
    expect(rungName({}, 2)).toBe('#2');
  });

  it('finds a rung by name first, so rungs sharing a height stay apart, then by height', () => {
    const rungs = [{ name: '240p', height: 240 }, { name: '1080p', height: 1080 }, { name: '1080p_hdr', height: 1080 }, { height: 360 }];
    expect(findRung(rungs, '1080p_hdr')).toBe(2);
    expect(findRung(rungs, '1080p')).toBe(1);
    expect(findRung(rungs, '360p')).toBe(3);
    expect(findRung(rungs, '720p')).toBe(-1);
    expect(findRung(rungs, 'audio')).toBe(-1);
  });
});

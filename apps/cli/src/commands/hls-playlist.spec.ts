import { chooseVariant, parseAttributes, parseMediaPlaylist } from './hls-playlist';

const MASTER = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="../audio/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="audio"
360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="audio"
720p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=426x240,CODECS="avc1.640015,mp4a.40.2",AUDIO="audio"
240p/index.m3u8
`;

describe('hls playlists', () => {
  it('parses quoted attributes with commas', () => {
    expect(parseAttributes('A=1,CODECS="x,y",URI="u"')).toEqual({ A: '1', CODECS: 'x,y', URI: 'u' });
  });

  it('chooses the highest video variant and its audio, resolving URIs', () => {
    expect(chooseVariant(MASTER, 'http://s/v1/hls/master.m3u8')).toEqual({
      videoUrl: 'http://s/v1/hls/720p/index.m3u8',
      audioUrl: 'http://s/v1/audio/index.m3u8',
      resolution: '1280x720',
      bandwidth: 3000000,
    });
  });

  it('lists init and segments of a media playlist', () => {
    const text = '#EXTM3U\n#EXT-X-MAP:URI="../../seg/init-a.mp4"\n#EXTINF:2.0,\n../../seg/0-b.m4s\n#EXTINF:1.0,\n../../seg/1-c.m4s\n#EXT-X-ENDLIST\n';
    expect(parseMediaPlaylist(text, 'http://s/out/m/hls/720p.m3u8')).toEqual({
      initUrl: 'http://s/out/seg/init-a.mp4',
      segmentUrls: ['http://s/out/seg/0-b.m4s', 'http://s/out/seg/1-c.m4s'],
    });
    expect(() => parseMediaPlaylist('#EXTM3U\n#EXT-X-MAP:URI="i.mp4"\n#EXT-X-BYTERANGE:10@0\ns.m4s\n', 'http://s/p.m3u8')).toThrow(/byte-range/);
    expect(() => parseMediaPlaylist('not a playlist', 'http://s/p.m3u8')).toThrow(/not an HLS/);
  });
});

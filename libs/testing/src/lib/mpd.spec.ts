import { parseIsoDuration, parseMpd, parseXml } from './mpd';

const TEMPLATE_MPD = `<?xml version="1.0" encoding="utf-8"?>
<!-- written by some packager <with> angle brackets -->
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT0H0M8.021S" minBufferTime="PT2S">
  <Period id="0" start="PT0S">
    <AdaptationSet id="0" contentType="video" codecs="avc1.64001e" width="640" height="360">
      <SegmentTemplate timescale="90000" initialization="init-$RepresentationID$.m4s" media="chunk-$RepresentationID$-$Number$.m4s" startNumber="1">
        <SegmentTimeline>
          <S t="0" d="180000" r="2" />
          <S d="181890" />
        </SegmentTimeline>
      </SegmentTemplate>
      <Representation id="0" bandwidth="493000" />
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio" lang="und">
      <Representation id="1" bandwidth='96000' codecs="mp4a.40.2" audioSamplingRate="48000">
        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>
        <SegmentTemplate timescale="48000" media="a-$Number$.m4s" duration="96000"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
`;

describe('parseMpd', () => {
  it('summarises representations with inherited attributes and timeline repeats', () => {
    expect(parseMpd(TEMPLATE_MPD)).toEqual({
      durationSec: 8.021,
      representations: [
        {
          id: '0',
          bandwidth: 493000,
          codecs: 'avc1.64001e',
          width: 640,
          height: 360,
          segments: 4,
        },
        { id: '1', bandwidth: 96000, codecs: 'mp4a.40.2', segments: 5 },
      ],
    });
  });

  it('counts SegmentURLs of a SegmentList and decodes entities', () => {
    const xml =
      '<MPD mediaPresentationDuration="PT1M0.5S"><Period><AdaptationSet>' +
      '<Representation id="a&amp;b" bandwidth="1" codecs="avc1.4d401e"><SegmentList timescale="1">' +
      '<Initialization sourceURL="i.mp4"/><SegmentTimeline><S t="0" d="2"/><S t="2" d="2"/></SegmentTimeline>' +
      '<SegmentURL media="0.m4s"/><SegmentURL media="1.m4s"/></SegmentList></Representation>' +
      '</AdaptationSet></Period></MPD>';
    expect(parseMpd(xml)).toEqual({
      durationSec: 60.5,
      representations: [
        { id: 'a&b', bandwidth: 1, codecs: 'avc1.4d401e', segments: 2 },
      ],
    });
  });

  it('rejects malformed XML', () => {
    expect(() => parseMpd('<MPD><Period></MPD>')).toThrow(
      /unexpected <\/MPD>, <Period> is open/,
    );
    expect(() => parseMpd('<MPD><Period>')).toThrow(/unclosed <Period>/);
    expect(() => parseMpd('<MPD><Period id="0></Period></MPD>')).toThrow(
      /malformed XML/,
    );
    expect(() => parseMpd('<Manifest/>')).toThrow(/no <MPD> root element/);
  });

  it('parses ISO durations and namespaced tags', () => {
    expect(parseIsoDuration('PT5.014S')).toBe(5.014);
    expect(parseIsoDuration('P1DT1H1M1S')).toBe(90061);
    expect(() => parseIsoDuration('5s')).toThrow(/not an ISO 8601 duration/);
    expect(parseXml('<x:a><x:b k="v"/></x:a>').children[0].children[0]).toEqual(
      {
        name: 'b',
        attrs: { k: 'v' },
        children: [],
      },
    );
  });
});

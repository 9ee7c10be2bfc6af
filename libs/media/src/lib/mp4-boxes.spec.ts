import { audioEntry, avcC, box, esds, fragment, hvcC, initSegment, mediaSegment, u32, visualEntry } from './mp4.fixtures';
import { Mp4FormatError, readInitFacts, readSegmentFacts, zeroMehdDuration } from './mp4-boxes';

describe('readInitFacts', () => {
  it('reads an H.264 init segment', () => {
    const init = initSegment({
      trackId: 1,
      timescale: 15360,
      handler: 'vide',
      entry: visualEntry('avc1', 640, 360, avcC(0x64, 0x00, 0x1e)),
      tkhdSize: { width: 640, height: 360 },
    });
    expect(readInitFacts(init)).toEqual({ timescale: 15360, codecs: 'avc1.64001e', width: 640, height: 360, trackId: 1, handler: 'vide' });
  });

  it('falls back to the sample entry size when tkhd has none, and reads v1 boxes', () => {
    const init = initSegment({ version: 1, trackId: 7, timescale: 90000, handler: 'vide', entry: visualEntry('avc3', 1280, 720, avcC(0x4d, 0x40, 0x1f)) });
    expect(readInitFacts(init)).toMatchObject({ timescale: 90000, codecs: 'avc3.4d401f', width: 1280, height: 720, trackId: 7 });
  });

  it('names the protected sample entry of an encrypted track, and the codec it wraps', () => {
    const sinf = box('sinf', box('frma', Buffer.from('avc1', 'latin1')));
    const init = initSegment({ trackId: 1, timescale: 15360, handler: 'vide', entry: visualEntry('encv', 640, 360, avcC(0x64, 0x00, 0x1e), sinf) });
    expect(readInitFacts(init)).toMatchObject({ codecs: 'avc1.64001e', protectedEntry: 'encv' });
  });

  it('builds HEVC codecs strings in the ISO/IEC 14496-15 form', () => {
    const main10 = hvcC({ profileIdc: 2, compat: 0x20000000, constraints: [0xb0], level: 120 });
    expect(readInitFacts(initSegment({ timescale: 24000, handler: 'vide', entry: visualEntry('hvc1', 1920, 1080, main10) })).codecs).toBe(
      'hvc1.2.4.L120.B0',
    );
    const mainHigh = hvcC({ tier: 1, profileIdc: 1, compat: 0x60000000, constraints: [0x90, 0, 0, 0, 0, 0], level: 153 });
    expect(readInitFacts(initSegment({ timescale: 24000, handler: 'vide', entry: visualEntry('hev1', 3840, 2160, mainHigh) })).codecs).toBe(
      'hev1.1.6.H153.90',
    );
    const spaced = hvcC({ profileSpace: 1, profileIdc: 1, compat: 0x60000000, constraints: [0x90, 0, 0x01], level: 93 });
    expect(readInitFacts(initSegment({ timescale: 24000, handler: 'vide', entry: visualEntry('hvc1', 1280, 720, spaced) })).codecs).toBe(
      'hvc1.A1.6.L93.90.0.1',
    );
  });

  it('reads mp4a.40.<audio object type> and the AAC config', () => {
    const lc = initSegment({ timescale: 48000, handler: 'soun', entry: audioEntry('mp4a', 2, 48000, esds(0x40, [0x11, 0x90])) });
    expect(readInitFacts(lc)).toEqual({ timescale: 48000, codecs: 'mp4a.40.2', trackId: 1, handler: 'soun', sampleRate: 48000, channels: 2 });

    const he = initSegment({ timescale: 44100, handler: 'soun', entry: audioEntry('mp4a', 2, 44100, esds(0x40, [0x2a, 0x10])) });
    expect(readInitFacts(he)).toMatchObject({ codecs: 'mp4a.40.5', sampleRate: 44100, channels: 2 });

    // audioObjectType 31 escapes to 32 + 6 more bits (42 = USAC).
    const usac = initSegment({ timescale: 48000, handler: 'soun', entry: audioEntry('mp4a', 2, 48000, esds(0x40, [0xf9, 0x46, 0x40])) });
    expect(readInitFacts(usac).codecs).toBe('mp4a.40.42');

    const mp3 = initSegment({ timescale: 44100, handler: 'soun', entry: audioEntry('mp4a', 2, 44100, esds(0x6b, [0x00, 0x00])) });
    expect(readInitFacts(mp3).codecs).toBe('mp4a.6b');
  });

  it('throws a clear error on malformed input', () => {
    expect(() => readInitFacts(Buffer.from('definitely not an mp4 file'))).toThrow(Mp4FormatError);
    expect(() => readInitFacts(box('ftyp', u32(0)))).toThrow("no 'moov' box in init segment");
    const init = initSegment({ timescale: 15360, handler: 'vide', entry: visualEntry('avc1', 640, 360, avcC(0x64, 0, 0x1e)) });
    expect(() => readInitFacts(init.subarray(0, init.length - 10))).toThrow(/runs past the end/);
    const noAvcC = initSegment({ timescale: 15360, handler: 'vide', entry: visualEntry('avc1', 640, 360) });
    expect(() => readInitFacts(noAvcC)).toThrow("no 'avcC' box in 'avc1'");
  });
});

describe('readSegmentFacts', () => {
  it('sums default durations from tfhd and reads a v1 tfdt', () => {
    const seg = mediaSegment(fragment(1, { tfdtVersion: 1, baseDecodeTime: 61440, defaultDuration: 512, count: 60 }));
    expect(readSegmentFacts(seg)).toEqual({ baseDecodeTime: 61440, duration: 30720, sampleCount: 60 });
  });

  it('prefers per-sample trun durations and sums every fragment, keeping the first tfdt', () => {
    const seg = mediaSegment(
      fragment(1, { baseDecodeTime: 96256, defaultDuration: 9999, durations: [1024, 1024, 1024] }),
      fragment(2, { baseDecodeTime: 99328, durations: [1024, 303] }),
    );
    expect(readSegmentFacts(seg)).toEqual({ baseDecodeTime: 96256, duration: 4399, sampleCount: 5 });
  });

  it('handles 64-bit decode times beyond 2^32', () => {
    const seg = mediaSegment(fragment(1, { tfdtVersion: 1, baseDecodeTime: 2n ** 33n + 5n, defaultDuration: 1, count: 1 }));
    expect(readSegmentFacts(seg).baseDecodeTime).toBe(2 ** 33 + 5);
  });

  it('counts only the first track when a fragment carries several', () => {
    const seg = mediaSegment(
      fragment(1, { trackId: 1, baseDecodeTime: 0, defaultDuration: 100, count: 10 }, { trackId: 2, baseDecodeTime: 0, defaultDuration: 1024, count: 5 }),
    );
    expect(readSegmentFacts(seg)).toEqual({ baseDecodeTime: 0, duration: 1000, sampleCount: 10 });
  });

  it('throws when durations are unknowable or the buffer is not a segment', () => {
    expect(() => readSegmentFacts(mediaSegment(fragment(1, { baseDecodeTime: 0, count: 3 })))).toThrow(/no sample durations/);
    expect(() => readSegmentFacts(box('styp', u32(0)))).toThrow('no moof box in media segment');
    const seg = mediaSegment(fragment(1, { baseDecodeTime: 0, durations: [1, 2, 3] }));
    expect(() => readSegmentFacts(seg.subarray(0, seg.length - 20))).toThrow(Mp4FormatError);
  });
});

describe('zeroMehdDuration', () => {
  const entry = visualEntry('avc1', 640, 360, avcC(0x64, 0, 0x1e));

  it('makes init segments that differ only in mehd byte-identical, v0 and v1', () => {
    for (const version of [0, 1] as const) {
      const a = initSegment({ timescale: 15360, handler: 'vide', entry, mehd: { version, duration: 61440 } });
      const b = initSegment({ timescale: 15360, handler: 'vide', entry, mehd: { version, duration: 30720 } });
      expect(a.equals(b)).toBe(false);
      const za = zeroMehdDuration(a);
      expect(za.equals(zeroMehdDuration(b))).toBe(true);
      expect(za.length).toBe(a.length);
      expect(readInitFacts(za)).toEqual(readInitFacts(a));
    }
  });

  it('returns a copy and leaves the input untouched', () => {
    const a = initSegment({ timescale: 15360, handler: 'vide', entry, mehd: { version: 0, duration: 61440 } });
    const before = Buffer.from(a);
    const z = zeroMehdDuration(a);
    expect(a.equals(before)).toBe(true);
    expect(z).not.toBe(a);
  });

  it('passes through an init without mehd and rejects non-init input', () => {
    const noMehd = initSegment({ timescale: 15360, handler: 'vide', entry });
    expect(zeroMehdDuration(noMehd).equals(noMehd)).toBe(true);
    expect(() => zeroMehdDuration(Buffer.alloc(3))).toThrow(Mp4FormatError);
  });
});

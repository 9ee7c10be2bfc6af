import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { hlsIvAttribute, parseSegmentKeyUri, segmentIv } from '@airlock/crypto';
import { parseMpd } from '@airlock/testing';
import {
  type ManifestInput,
  escapeXmlAttr,
  hlsKeyLine,
  hlsTrackKeys,
  isoDuration,
  validateManifestInput,
  writeDashMpd,
  writeHlsMaster,
  writeHlsMediaPlaylist,
  writeManifests,
} from './index';
import {
  FIXTURE_ENCRYPTION,
  FIXTURE_KEY_ID,
  buildManifestFixture,
} from './manifest.fixture';

const GOLDEN_DIR = join(__dirname, '__golden__');
const UPDATE_GOLDEN = process.env['UPDATE_GOLDEN'] === '1';

/** Compares with a stored golden file; (re)writes it only when UPDATE_GOLDEN=1. */
function expectGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, name);
  if (UPDATE_GOLDEN) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    throw new Error(
      `golden file ${file} is missing: run the tests once with UPDATE_GOLDEN=1 and review it`,
    );
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

async function fileBody(input: ManifestInput, name: string): Promise<string> {
  const file = (await writeManifests(input)).files.find(
    (f) => basename(f.key) === name,
  );
  if (!file) throw new Error(`no manifest named ${name}`);
  return file.body;
}

/** Every URI a manifest refers to: m3u8 URI lines and URI="..." attributes, MPD sourceURL/media. */
function referencedUris(body: string): string[] {
  if (body.startsWith('<?xml')) {
    return [...body.matchAll(/ (?:sourceURL|media)="([^"]*)"/g)].map((m) =>
      m[1].replace(/&amp;/g, '&'),
    );
  }
  return body
    .split('\n')
    .flatMap((line) =>
      line.startsWith('#')
        ? [...line.matchAll(/URI="([^"]*)"/g)].map((m) => m[1])
        : line
          ? [line]
          : [],
    );
}

/** Peak and average bits per second of one rendition of an input, computed independently of the writers. */
function rates(
  input: ManifestInput,
  rendition: string,
): { peak: number; average: number } {
  const segs = input.outputs.filter(
    (o) => o.rendition === rendition && o.kind === 'media',
  );
  const peak = Math.max(
    ...segs.map((s) => Math.ceil((s.sizeBytes * 8 * s.timescale) / s.duration)),
  );
  const bits = segs.reduce((n, s) => n + s.sizeBytes * 8, 0);
  const ticks = segs.reduce((n, s) => n + s.duration, 0);
  return { peak, average: Math.ceil((bits * segs[0].timescale) / ticks) };
}

describe('manifest writers', () => {
  const input = buildManifestFixture();

  it('matches the golden files for 2 video renditions + audio, 3 segments', async () => {
    const written = await writeManifests(input);
    expect(written.files.map((f) => f.key)).toEqual([
      'man/med_fixture/v1/master.m3u8',
      'man/med_fixture/v1/360p.m3u8',
      'man/med_fixture/v1/720p.m3u8',
      'man/med_fixture/v1/audio.m3u8',
      'man/med_fixture/v1/manifest.mpd',
    ]);
    expect(written.renditions).toEqual(['360p', '720p', 'audio']);
    expect(written.hlsKey).toBe('man/med_fixture/v1/master.m3u8');
    expect(written.dashKey).toBe('man/med_fixture/v1/manifest.mpd');
    for (const file of written.files)
      expectGolden(basename(file.key), file.body);
  });

  it('is deterministic whatever order streams and outputs arrive in', async () => {
    const shuffled: ManifestInput = {
      ...input,
      streams: [...input.streams].reverse(),
      outputs: input.outputs.map((_, i, all) => all[(i * 7 + 3) % all.length]),
    };
    expect(new Set(shuffled.outputs).size).toBe(input.outputs.length);
    expect(await writeManifests(shuffled)).toEqual(await writeManifests(input));
  });

  it('uses only relative URIs that resolve to the stored keys from the manifest key', async () => {
    const expected = new Set([
      ...input.outputs.map((o) => o.key),
      'man/med_fixture/v1/360p.m3u8',
      'man/med_fixture/v1/720p.m3u8',
      'man/med_fixture/v1/audio.m3u8',
    ]);
    const resolved = new Set<string>();
    for (const file of (await writeManifests(input)).files) {
      for (const uri of referencedUris(file.body)) {
        expect(uri).not.toMatch(/^[a-z][a-z0-9+.-]*:|^\//i);
        for (const origin of [
          'https://cdn.example/',
          'http://127.0.0.1:9/some/prefix/',
        ]) {
          const url = new URL(uri, new URL(file.key, origin));
          expect(url.href.startsWith(origin)).toBe(true);
          resolved.add(url.href.slice(origin.length));
        }
      }
    }
    expect([...resolved].sort()).toEqual([...expected].sort());
  });

  it('writes master bandwidths from measured segment sizes, lowest first, audio added', async () => {
    const master = await fileBody(input, 'master.m3u8');
    const audio = rates(input, 'audio');
    const low = rates(input, '360p');
    const high = rates(input, '720p');
    expect(master).toContain(
      `#EXT-X-STREAM-INF:BANDWIDTH=${low.peak + audio.peak},AVERAGE-BANDWIDTH=${low.average + audio.average},` +
        'RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",FRAME-RATE=29.970,AUDIO="audio"\n360p.m3u8\n',
    );
    expect(master).toContain(
      `BANDWIDTH=${high.peak + audio.peak},AVERAGE-BANDWIDTH=${high.average + audio.average},`,
    );
    expect(master.indexOf('360p.m3u8')).toBeLessThan(
      master.indexOf('720p.m3u8'),
    );
    expect(master).toContain(
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio.m3u8"',
    );
  });

  it('writes media playlists with target duration, map and six-decimal EXTINF', async () => {
    const playlist = await fileBody(input, '720p.m3u8');
    expect(playlist).toMatch(
      /^#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:0\n/,
    );
    expect(playlist).toContain(
      '#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI="../../../seg/',
    );
    expect(playlist.match(/#EXTINF:[^\n]*/g)).toEqual([
      '#EXTINF:2.002000,',
      '#EXTINF:2.002000,',
      '#EXTINF:1.001000,',
    ]);
    expect(playlist.endsWith('#EXT-X-ENDLIST\n')).toBe(true);
  });

  it('writes a structurally valid MPD', async () => {
    const mpd = parseMpd(await fileBody(input, 'manifest.mpd'));
    // Audio (96256 * 2 + 48128 samples at 48 kHz = 5.0133 s) outlasts video (5.005 s); rounded up to the ms.
    expect(mpd.durationSec).toBe(5.014);
    expect(mpd.representations).toEqual([
      {
        id: '360p',
        bandwidth: rates(input, '360p').peak,
        codecs: 'avc1.64001e',
        width: 640,
        height: 360,
        segments: 3,
      },
      {
        id: '720p',
        bandwidth: rates(input, '720p').peak,
        codecs: 'avc1.64001f',
        width: 1280,
        height: 720,
        segments: 3,
      },
      {
        id: 'audio',
        bandwidth: rates(input, 'audio').peak,
        codecs: 'mp4a.40.2',
        segments: 3,
      },
    ]);
  });

  it('takes the MPD duration from the longest track', async () => {
    const fixture = buildManifestFixture();
    expect((await writeManifests(fixture)).files.at(-1)?.body).toContain(
      'mediaPresentationDuration="PT5.014S"',
    );
    for (const o of fixture.outputs) {
      if (o.kind === 'media' && o.segmentIndex === 2 && o.rendition !== 'audio')
        o.duration += o.timescale;
    }
    // Video now ends at 6.005 s, audio still at 5.0133 s.
    expect((await writeManifests(fixture)).files.at(-1)?.body).toContain(
      'mediaPresentationDuration="PT6.005S"',
    );
  });

  it('escapes XML attribute values', () => {
    expect(escapeXmlAttr(`a&b<c>d"e'f\ng`)).toBe(
      'a&amp;b&lt;c&gt;d&quot;e&apos;f&#xA;g',
    );
    const fixture = buildManifestFixture();
    fixture.outputs[0].key = fixture.outputs[0].key.replace(
      'init-',
      'init&x=1-',
    );
    const presentation = validateManifestInput(fixture);
    expect(writeDashMpd(presentation)).toContain('/init&amp;x=1-');
    expect(parseMpd(writeDashMpd(presentation)).representations).toHaveLength(
      3,
    );
  });

  it('formats ISO durations rounded up to the millisecond', () => {
    expect(isoDuration(0, 1000)).toBe('PT0.000S');
    expect(isoDuration(450450, 90000)).toBe('PT5.005S');
    expect(isoDuration(1, 90000)).toBe('PT0.001S');
    expect(isoDuration(3600 * 48000 + 24000, 48000)).toBe('PT3600.500S');
  });

  describe('audio only', () => {
    const audioOnly = buildManifestFixture({ video: false });

    it('lists the audio playlist as the only variant', async () => {
      const written = await writeManifests(audioOnly);
      expect(written.files.map((f) => basename(f.key))).toEqual([
        'master.m3u8',
        'audio.m3u8',
        'manifest.mpd',
      ]);
      const audio = rates(audioOnly, 'audio');
      expect(await fileBody(audioOnly, 'master.m3u8')).toBe(
        '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n' +
          `#EXT-X-STREAM-INF:BANDWIDTH=${audio.peak},AVERAGE-BANDWIDTH=${audio.average},CODECS="mp4a.40.2"\n` +
          'audio.m3u8\n',
      );
    });

    it('writes an MPD with only the audio adaptation set', async () => {
      const body = await fileBody(audioOnly, 'manifest.mpd');
      expect(body).not.toContain('contentType="video"');
      expect(body).toContain(
        '<AdaptationSet id="0" contentType="audio" mimeType="audio/mp4" lang="und" segmentAlignment="true" ' +
          'startWithSAP="1" audioSamplingRate="48000">',
      );
      expect(body).toContain(
        '<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>',
      );
      const mpd = parseMpd(body);
      expect(mpd.representations.map((r) => r.id)).toEqual(['audio']);
      expect(mpd.durationSec).toBe(5.014);
    });
  });

  describe('no audio', () => {
    const silent = buildManifestFixture({ audio: false });

    it('writes variants without an audio group or audio codec', async () => {
      const master = writeHlsMaster(validateManifestInput(silent));
      expect(master).not.toContain('EXT-X-MEDIA');
      expect(master).not.toContain('AUDIO=');
      expect(master).not.toContain('mp4a');
      const low = rates(silent, '360p');
      expect(master).toContain(
        `#EXT-X-STREAM-INF:BANDWIDTH=${low.peak},AVERAGE-BANDWIDTH=${low.average},RESOLUTION=640x360,` +
          'CODECS="avc1.64001e",FRAME-RATE=29.970\n360p.m3u8\n',
      );
      expect((await writeManifests(silent)).renditions).toEqual([
        '360p',
        '720p',
      ]);
    });

    it('writes an MPD with only the video adaptation set', async () => {
      const body = await fileBody(silent, 'manifest.mpd');
      expect(body).not.toContain('contentType="audio"');
      expect(body).toContain('maxWidth="1280" maxHeight="720"');
      expect(parseMpd(body).representations.map((r) => r.id)).toEqual([
        '360p',
        '720p',
      ]);
    });
  });

  describe('encrypted (whole-segment AES-128)', () => {
    const encrypted = buildManifestFixture({ encryption: FIXTURE_ENCRYPTION });
    const KEY_URI = `airlock-key://med_fixture/${FIXTURE_KEY_ID}`;

    it('matches the golden files', async () => {
      const written = await writeManifests(encrypted);
      expect(written.files.map((f) => basename(f.key))).toEqual([
        'master.m3u8',
        '360p.m3u8',
        '720p.m3u8',
        'audio.m3u8',
        'manifest.mpd',
      ]);
      for (const file of written.files)
        expectGolden(join('aes-128', basename(file.key)), file.body);
    });

    it('states the key URI and the derived IV before the init and before every segment', async () => {
      for (const rendition of ['360p', '720p', 'audio']) {
        const body = await fileBody(encrypted, `${rendition}.m3u8`);
        const lines = body.split('\n');
        const keyLines = lines.filter((l) => l.startsWith('#EXT-X-KEY'));
        const ivs = await Promise.all(
          [-1, 0, 1, 2].map(async (index) =>
            hlsIvAttribute(await segmentIv(FIXTURE_KEY_ID, rendition, index)),
          ),
        );
        expect(keyLines).toEqual(
          ivs.map(
            (iv) => `#EXT-X-KEY:METHOD=AES-128,URI="${KEY_URI}",IV=${iv}`,
          ),
        );
        expect(new Set(ivs).size).toBe(4);
        // Each key line sits right before the object it applies to: the map, then each EXTINF.
        const keyAt = lines.flatMap((l, i) =>
          l.startsWith('#EXT-X-KEY') ? [i] : [],
        );
        expect(keyAt.map((i) => lines[i + 1].split(':')[0])).toEqual([
          '#EXT-X-MAP',
          '#EXTINF',
          '#EXTINF',
          '#EXTINF',
        ]);
        // Nothing else differs from the clear playlist.
        expect(
          lines.filter((l) => !l.startsWith('#EXT-X-KEY')).join('\n'),
        ).toBe(await fileBody(input, `${rendition}.m3u8`));
      }
    });

    it("names the key only by an airlock-key:// URI the recipient's app answers, never a key or a URL", async () => {
      for (const file of (await writeManifests(encrypted)).files) {
        for (const m of file.body.matchAll(/#EXT-X-KEY:[^\n]*URI="([^"]*)"/g))
          expect(parseSegmentKeyUri(m[1])).toEqual({
            mediaId: 'med_fixture',
            keyIdHex: FIXTURE_KEY_ID,
          });
        expect(file.body).not.toMatch(/KEYFORMAT|SAMPLE-AES|data:|https?:/);
      }
    });

    it("derives each IV from the key id, the rendition and the fact's segmentIndex (-1 for the init)", async () => {
      const track = validateManifestInput(encrypted).video[0];
      const keys = await hlsTrackKeys('med_fixture', FIXTURE_ENCRYPTION, track);
      expect(keys.initIv).toBe(
        hlsIvAttribute(await segmentIv(FIXTURE_KEY_ID, '360p', -1)),
      );
      expect(keys.segmentIvs[2]).toBe(
        hlsIvAttribute(await segmentIv(FIXTURE_KEY_ID, '360p', 2)),
      );
      expect(hlsKeyLine(keys.uri, keys.initIv)).toBe(
        `#EXT-X-KEY:METHOD=AES-128,URI="${KEY_URI}",IV=${keys.initIv}`,
      );
    });

    it('refuses to write an encrypted rendition without its IVs', () => {
      const track = validateManifestInput(encrypted).video[0];
      expect(() => writeHlsMediaPlaylist('med_fixture', 'v1', track)).toThrow(
        /"360p" is encrypted/,
      );
    });

    it('leaves the master playlist as it is for clear media', async () => {
      expect(await fileBody(encrypted, 'master.m3u8')).toBe(
        await fileBody(input, 'master.m3u8'),
      );
    });

    it('gives every AdaptationSet the whole-segment AES-128-CBC property with the key id, no ContentProtection', async () => {
      const body = await fileBody(encrypted, 'manifest.mpd');
      expect(body).not.toMatch(/ContentProtection|cenc|ClearKey/);
      const property = `<SupplementalProperty schemeIdUri="urn:airlock:aes-128-cbc:2026" value="${FIXTURE_KEY_ID}"/>\n`;
      const sets = body.split('<AdaptationSet ').slice(1);
      expect(sets).toHaveLength(2);
      for (const set of sets) {
        expect(set.split(property)).toHaveLength(2);
        // Descriptors come before the Representations (and after AudioChannelConfiguration, as the schema orders them).
        expect(set.indexOf(property)).toBeLessThan(
          set.indexOf('<Representation '),
        );
      }
      expect(sets[1].indexOf('<AudioChannelConfiguration ')).toBeLessThan(
        sets[1].indexOf(property),
      );
      // Otherwise the MPD is the clear one.
      expect(body.split(`      ${property}`).join('')).toBe(
        await fileBody(input, 'manifest.mpd'),
      );
    });

    it('writes nothing about encryption for clear media', async () => {
      for (const file of (await writeManifests(input)).files) {
        expect(file.body).not.toMatch(
          /EXT-X-KEY|SupplementalProperty|ContentProtection|cenc/,
        );
      }
    });
  });
});

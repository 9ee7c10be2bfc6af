import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseMpd } from '@airlock/testing';
import {
  type ManifestInput,
  escapeXmlAttr,
  hlsKeyLine,
  isoDuration,
  keyIdUuid,
  validateManifestInput,
  writeDashMpd,
  writeHlsMaster,
  writeManifests,
} from './index';
import { FIXTURE_KEY_ID, buildManifestFixture } from './manifest.fixture';

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

function fileBody(input: ManifestInput, name: string): string {
  const file = writeManifests(input).files.find(
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

  it('matches the golden files for 2 video renditions + audio, 3 segments', () => {
    const written = writeManifests(input);
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

  it('is deterministic whatever order streams and outputs arrive in', () => {
    const shuffled: ManifestInput = {
      ...input,
      streams: [...input.streams].reverse(),
      outputs: input.outputs.map((_, i, all) => all[(i * 7 + 3) % all.length]),
    };
    expect(new Set(shuffled.outputs).size).toBe(input.outputs.length);
    expect(writeManifests(shuffled)).toEqual(writeManifests(input));
  });

  it('uses only relative URIs that resolve to the stored keys from the manifest key', () => {
    const expected = new Set([
      ...input.outputs.map((o) => o.key),
      'man/med_fixture/v1/360p.m3u8',
      'man/med_fixture/v1/720p.m3u8',
      'man/med_fixture/v1/audio.m3u8',
    ]);
    const resolved = new Set<string>();
    for (const file of writeManifests(input).files) {
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

  it('writes master bandwidths from measured segment sizes, lowest first, audio added', () => {
    const master = fileBody(input, 'master.m3u8');
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

  it('writes media playlists with target duration, map and six-decimal EXTINF', () => {
    const playlist = fileBody(input, '720p.m3u8');
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

  it('writes a structurally valid MPD', () => {
    const mpd = parseMpd(fileBody(input, 'manifest.mpd'));
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

  it('takes the MPD duration from the longest track', () => {
    const fixture = buildManifestFixture();
    expect(writeManifests(fixture).files.at(-1)?.body).toContain(
      'mediaPresentationDuration="PT5.014S"',
    );
    for (const o of fixture.outputs) {
      if (o.kind === 'media' && o.segmentIndex === 2 && o.rendition !== 'audio')
        o.duration += o.timescale;
    }
    // Video now ends at 6.005 s, audio still at 5.0133 s.
    expect(writeManifests(fixture).files.at(-1)?.body).toContain(
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

    it('lists the audio playlist as the only variant', () => {
      const written = writeManifests(audioOnly);
      expect(written.files.map((f) => basename(f.key))).toEqual([
        'master.m3u8',
        'audio.m3u8',
        'manifest.mpd',
      ]);
      const audio = rates(audioOnly, 'audio');
      expect(fileBody(audioOnly, 'master.m3u8')).toBe(
        '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n' +
          `#EXT-X-STREAM-INF:BANDWIDTH=${audio.peak},AVERAGE-BANDWIDTH=${audio.average},CODECS="mp4a.40.2"\n` +
          'audio.m3u8\n',
      );
    });

    it('writes an MPD with only the audio adaptation set', () => {
      const body = fileBody(audioOnly, 'manifest.mpd');
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

    it('writes variants without an audio group or audio codec', () => {
      const master = writeHlsMaster(validateManifestInput(silent));
      expect(master).not.toContain('EXT-X-MEDIA');
      expect(master).not.toContain('AUDIO=');
      expect(master).not.toContain('mp4a');
      const low = rates(silent, '360p');
      expect(master).toContain(
        `#EXT-X-STREAM-INF:BANDWIDTH=${low.peak},AVERAGE-BANDWIDTH=${low.average},RESOLUTION=640x360,` +
          'CODECS="avc1.64001e",FRAME-RATE=29.970\n360p.m3u8\n',
      );
      expect(writeManifests(silent).renditions).toEqual(['360p', '720p']);
    });

    it('writes an MPD with only the video adaptation set', () => {
      const body = fileBody(silent, 'manifest.mpd');
      expect(body).not.toContain('contentType="audio"');
      expect(body).toContain('maxWidth="1280" maxHeight="720"');
      expect(parseMpd(body).representations.map((r) => r.id)).toEqual([
        '360p',
        '720p',
      ]);
    });
  });

  describe('cbcs encrypted', () => {
    const cbcs = { scheme: 'cbcs' as const, keyId: FIXTURE_KEY_ID };
    const encrypted = buildManifestFixture({ encryption: cbcs });
    const KEY_LINE =
      '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;base64,W24aDzwtTo+aCxwtPk9aaw==",' +
      'KEYFORMAT="org.w3.clearkey",KEYFORMATVERSIONS="1",KEYID=0x5B6E1A0F3C2D4E8F9A0B1C2D3E4F5A6B';

    it('matches the golden files', () => {
      const written = writeManifests(encrypted);
      expect(written.files.map((f) => basename(f.key))).toEqual([
        'master.m3u8',
        '360p.m3u8',
        '720p.m3u8',
        'audio.m3u8',
        'manifest.mpd',
      ]);
      for (const file of written.files)
        expectGolden(join('cbcs', basename(file.key)), file.body);
    });

    it('writes the ClearKey EXT-X-KEY line, carrying the key id, right before EXT-X-MAP', () => {
      expect(hlsKeyLine(cbcs)).toBe(KEY_LINE);
      const dataUri = /URI="data:text\/plain;base64,([^"]*)"/.exec(KEY_LINE);
      expect(Buffer.from(dataUri?.[1] ?? '', 'base64').toString('hex')).toBe(
        FIXTURE_KEY_ID,
      );
      for (const name of ['360p.m3u8', '720p.m3u8', 'audio.m3u8']) {
        const lines = fileBody(encrypted, name).split('\n');
        expect(lines.filter((l) => l.startsWith('#EXT-X-KEY'))).toEqual([
          KEY_LINE,
        ]);
        expect(lines[lines.indexOf(KEY_LINE) + 1]).toMatch(/^#EXT-X-MAP:URI=/);
        // Nothing else differs from the clear playlist.
        expect(lines.filter((l) => l !== KEY_LINE).join('\n')).toBe(
          fileBody(input, name),
        );
      }
    });

    it('leaves the master playlist as it is for clear media', () => {
      expect(fileBody(encrypted, 'master.m3u8')).toBe(
        fileBody(input, 'master.m3u8'),
      );
    });

    it('gives every AdaptationSet the cbcs scheme with the key id and the ClearKey system', () => {
      expect(keyIdUuid(FIXTURE_KEY_ID)).toBe(
        '5b6e1a0f-3c2d-4e8f-9a0b-1c2d3e4f5a6b',
      );
      const body = fileBody(encrypted, 'manifest.mpd');
      expect(body).toMatch(
        /^<\?xml[^\n]*\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:cenc="urn:mpeg:cenc:2013" /,
      );
      const protection =
        '<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cbcs" ' +
        'cenc:default_KID="5b6e1a0f-3c2d-4e8f-9a0b-1c2d3e4f5a6b"/>\n' +
        '      <ContentProtection schemeIdUri="urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e" value="ClearKey1.0"/>\n';
      const sets = body.split('<AdaptationSet ').slice(1);
      expect(sets).toHaveLength(2);
      for (const set of sets) {
        expect(set.split(protection)).toHaveLength(2);
        // Descriptors come before the Representations (and after AudioChannelConfiguration, as the schema orders them).
        expect(set.indexOf(protection)).toBeLessThan(
          set.indexOf('<Representation '),
        );
      }
      expect(sets[1].indexOf('<AudioChannelConfiguration ')).toBeLessThan(
        sets[1].indexOf(protection),
      );
      expect(parseMpd(body).representations).toEqual(
        parseMpd(fileBody(input, 'manifest.mpd')).representations,
      );
    });

    it('writes nothing about encryption for clear media', () => {
      for (const file of writeManifests(input).files) {
        expect(file.body).not.toMatch(/EXT-X-KEY|ContentProtection|cenc/);
      }
    });
  });
});

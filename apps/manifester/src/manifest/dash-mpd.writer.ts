import { relativeKey, storageKeys } from '@airlock/domain';
import {
  ManifestInputError,
  type StreamEncryption,
  type Track,
  type ValidatedPresentation,
} from './manifest-input';

export const DASH_PROFILES =
  'urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019';
const AUDIO_CHANNEL_SCHEME =
  'urn:mpeg:dash:23003:3:audio_channel_configuration:2011';
/**
 * Says, on each AdaptationSet of an encrypted presentation, that every init and media segment is
 * encrypted whole with AES-128-CBC (the HLS objects, shared), under the key whose id is the value.
 * Not ContentProtection: that names a DRM/CENC system, and these segments are not CENC. A player
 * that does not know the scheme may ignore it (Supplemental, not Essential) and then fails to parse
 * the segments; the SDK's DASH player decrypts them in a response filter.
 */
export const AES128_CBC_SCHEME = 'urn:airlock:aes-128-cbc:2026';

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes a value for use inside a double-quoted XML attribute (also tabs and line breaks, which parsers normalise). */
export function escapeXmlAttr(value: string): string {
  return value.replace(
    /[&<>"'\t\n\r]/g,
    (c) =>
      XML_ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`,
  );
}

function element(
  name: string,
  attrs: [string, string | number | undefined][],
  selfClose = false,
): string {
  const rendered = attrs
    .filter((a): a is [string, string | number] => a[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(String(v))}"`)
    .join('');
  return `<${name}${rendered}${selfClose ? '/' : ''}>`;
}

/** ISO 8601 duration in whole milliseconds, rounded up so the presentation never ends early. */
export function isoDuration(ticks: number, timescale: number): string {
  const ms = Math.ceil((ticks * 1000) / timescale);
  return `PT${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}S`;
}

function frameRate(track: Track): string | undefined {
  const fps = track.stream.fps;
  if (!fps) return undefined;
  return fps.den === 1 ? String(fps.num) : `${fps.num}/${fps.den}`;
}

/** The whole-segment encryption descriptor of an AdaptationSet, or nothing for clear media. */
function encryptionProperty(
  encryption: StreamEncryption | undefined,
  indent: string,
): string[] {
  if (!encryption) return [];
  return [
    `${indent}${element(
      'SupplementalProperty',
      [
        ['schemeIdUri', AES128_CBC_SCHEME],
        ['value', encryption.keyId],
      ],
      true,
    )}`,
  ];
}

function segmentList(track: Track, mpdKey: string, indent: string): string[] {
  const lines = [
    `${indent}${element('SegmentList', [['timescale', track.timescale]])}`,
    `${indent}  ${element('Initialization', [['sourceURL', relativeKey(mpdKey, track.init.key)]], true)}`,
    `${indent}  <SegmentTimeline>`,
  ];
  for (const seg of track.segments) {
    lines.push(
      `${indent}    ${element(
        'S',
        [
          ['t', seg.baseDecodeTime],
          ['d', seg.duration],
        ],
        true,
      )}`,
    );
  }
  lines.push(`${indent}  </SegmentTimeline>`);
  for (const seg of track.segments) {
    lines.push(
      `${indent}  ${element('SegmentURL', [['media', relativeKey(mpdKey, seg.key)]], true)}`,
    );
  }
  lines.push(`${indent}</SegmentList>`);
  return lines;
}

/**
 * A static MPD with one Period: a video AdaptationSet (one Representation per rendition, lowest
 * bandwidth first) and an audio AdaptationSet, each Representation addressing its fMP4 objects with
 * an explicit SegmentList and SegmentTimeline. URIs are relative to the MPD's own key. Encrypted
 * presentations give each AdaptationSet the whole-segment encryption property with the key id.
 */
export function writeDashMpd(presentation: ValidatedPresentation): string {
  const { mediaId, version, video, audio, encryption } = presentation;
  const mpdKey = storageKeys.dashManifest(mediaId, version);
  const tracks = [...video, ...(audio ? [audio] : [])];
  if (tracks.length === 0)
    throw new ManifestInputError(['no video or audio track to describe']);
  const longest = tracks.reduce((best, t) =>
    t.endTime / t.timescale > best.endTime / best.timescale ? t : best,
  );

  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    element('MPD', [
      ['xmlns', 'urn:mpeg:dash:schema:mpd:2011'],
      ['profiles', DASH_PROFILES],
      ['type', 'static'],
      [
        'mediaPresentationDuration',
        isoDuration(longest.endTime, longest.timescale),
      ],
      ['minBufferTime', 'PT2S'],
    ]),
    `  ${element('Period', [
      ['id', '0'],
      ['start', 'PT0S'],
    ])}`,
  ];

  let adaptationId = 0;
  if (video.length > 0) {
    lines.push(
      `    ${element('AdaptationSet', [
        ['id', adaptationId++],
        ['contentType', 'video'],
        ['mimeType', 'video/mp4'],
        ['segmentAlignment', 'true'],
        ['startWithSAP', 1],
        ['maxWidth', Math.max(...video.map((t) => t.stream.width ?? 0))],
        ['maxHeight', Math.max(...video.map((t) => t.stream.height ?? 0))],
      ])}`,
      ...encryptionProperty(encryption, '      '),
    );
    for (const track of video) {
      lines.push(
        `      ${element('Representation', [
          ['id', track.stream.rendition],
          ['bandwidth', track.peakBitrate],
          ['codecs', track.stream.codecs],
          ['width', track.stream.width],
          ['height', track.stream.height],
          ['frameRate', frameRate(track)],
          ['sar', '1:1'],
        ])}`,
        ...segmentList(track, mpdKey, '        '),
        '      </Representation>',
      );
    }
    lines.push('    </AdaptationSet>');
  }

  if (audio) {
    lines.push(
      `    ${element('AdaptationSet', [
        ['id', adaptationId++],
        ['contentType', 'audio'],
        ['mimeType', 'audio/mp4'],
        ['lang', 'und'],
        ['segmentAlignment', 'true'],
        ['startWithSAP', 1],
        ['audioSamplingRate', audio.stream.sampleRate],
      ])}`,
    );
    if (audio.stream.channels) {
      lines.push(
        `      ${element(
          'AudioChannelConfiguration',
          [
            ['schemeIdUri', AUDIO_CHANNEL_SCHEME],
            ['value', audio.stream.channels],
          ],
          true,
        )}`,
      );
    }
    lines.push(
      ...encryptionProperty(encryption, '      '),
      `      ${element('Representation', [
        ['id', audio.stream.rendition],
        ['bandwidth', audio.peakBitrate],
        ['codecs', audio.stream.codecs],
      ])}`,
      ...segmentList(audio, mpdKey, '        '),
      '      </Representation>',
      '    </AdaptationSet>',
    );
  }

  lines.push('  </Period>', '</MPD>');
  return `${lines.join('\n')}\n`;
}

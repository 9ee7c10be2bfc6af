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
export const CENC_NAMESPACE = 'urn:mpeg:cenc:2013';
/** ISO/IEC 23009-1 common encryption signalling: value is the scheme (cbcs), cenc:default_KID the key id. */
export const MP4_PROTECTION_SCHEME = 'urn:mpeg:dash:mp4protection:2011';
/** The W3C Clear Key system id (DASH-IF). */
export const CLEARKEY_SYSTEM_SCHEME =
  'urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e';

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

/** A 32-hex-digit key id in the 8-4-4-4-12 UUID form cenc:default_KID takes. */
export function keyIdUuid(keyId: string): string {
  const hex = keyId.toLowerCase();
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20, 32),
  ].join('-');
}

/** ContentProtection descriptors for an AdaptationSet: the common scheme with the key id, then ClearKey. */
function contentProtection(
  encryption: StreamEncryption | undefined,
  indent: string,
): string[] {
  if (!encryption) return [];
  return [
    `${indent}${element(
      'ContentProtection',
      [
        ['schemeIdUri', MP4_PROTECTION_SCHEME],
        ['value', encryption.scheme],
        ['cenc:default_KID', keyIdUuid(encryption.keyId)],
      ],
      true,
    )}`,
    `${indent}${element(
      'ContentProtection',
      [
        ['schemeIdUri', CLEARKEY_SYSTEM_SCHEME],
        ['value', 'ClearKey1.0'],
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
 * presentations declare the cenc namespace and give each AdaptationSet its ContentProtection.
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
      ['xmlns:cenc', encryption ? CENC_NAMESPACE : undefined],
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
      ...contentProtection(encryption, '      '),
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
      ...contentProtection(encryption, '      '),
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

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { OutputFact, StreamInfo } from '@airlock/contracts';
import { storageKeys } from '@airlock/domain';
import type { ManifestInput, StreamEncryption } from './manifest-input';
import { type WrittenManifests, writeManifests } from './write-manifests';

/** Test-only: builds verifier-shaped facts for a small CMAF presentation. Deterministic. */
export interface FixtureOptions {
  mediaId?: string;
  version?: string;
  segments?: number;
  video?: boolean;
  audio?: boolean;
  /** Set on every stream. */
  encryption?: StreamEncryption;
}

/** Key id of the encrypted fixture (the key itself never reaches the manifester). */
export const FIXTURE_KEY_ID = '5b6e1a0f3c2d4e8f9a0b1c2d3e4f5a6b';

/** Streams encrypted as the workers encrypt them: every object whole, AES-128-CBC. */
export const FIXTURE_ENCRYPTION: StreamEncryption = {
  scheme: 'aes-128',
  keyId: FIXTURE_KEY_ID,
};

interface TrackSpec {
  stream: StreamInfo;
  timescale: number;
  /** Duration of a full segment; the last segment is half as long. */
  segmentDuration: number;
  /** Size of segment i in bytes. */
  size: (i: number) => number;
}

export const FIXTURE_VIDEO: TrackSpec[] = [
  // Listed highest bandwidth first on purpose: writers must sort.
  {
    stream: {
      rendition: '720p',
      type: 'video',
      codecs: 'avc1.64001f',
      width: 1280,
      height: 720,
      fps: { num: 30000, den: 1001 },
      bitrateKbps: 2500,
    },
    timescale: 30000,
    segmentDuration: 60060,
    size: (i) => 600_000 - i * 50_000,
  },
  {
    stream: {
      rendition: '360p',
      type: 'video',
      codecs: 'avc1.64001e',
      width: 640,
      height: 360,
      fps: { num: 30000, den: 1001 },
      bitrateKbps: 800,
    },
    timescale: 90000,
    segmentDuration: 180180,
    size: (i) => 200_000 - i * 20_000,
  },
];

export const FIXTURE_AUDIO: TrackSpec = {
  stream: {
    rendition: 'audio',
    type: 'audio',
    codecs: 'mp4a.40.2',
    bitrateKbps: 128,
    sampleRate: 48000,
    channels: 2,
  },
  timescale: 48000,
  // 94 AAC frames of 1024 samples.
  segmentDuration: 96256,
  size: (i) => 32_100 - i * 50,
};

export function fakeSha(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('/')).digest('hex');
}

export function segmentDurations(spec: TrackSpec, count: number): number[] {
  return Array.from({ length: count }, (_, i) =>
    i === count - 1 ? spec.segmentDuration / 2 : spec.segmentDuration,
  );
}

function factsFor(
  mediaId: string,
  spec: TrackSpec,
  count: number,
): OutputFact[] {
  const name = spec.stream.rendition;
  const initSha = fakeSha(mediaId, name, 'init');
  const facts: OutputFact[] = [
    {
      kind: 'init',
      rendition: name,
      segmentIndex: -1,
      key: storageKeys.initSegment(mediaId, name, initSha),
      sha256: initSha,
      sizeBytes: 812,
      timescale: spec.timescale,
      baseDecodeTime: 0,
      duration: 0,
      sampleCount: 0,
    },
  ];
  let t = 0;
  segmentDurations(spec, count).forEach((duration, i) => {
    const sha = fakeSha(mediaId, name, i);
    facts.push({
      kind: 'media',
      rendition: name,
      segmentIndex: i,
      key: storageKeys.mediaSegment(mediaId, name, i, sha),
      sha256: sha,
      sizeBytes: spec.size(i),
      timescale: spec.timescale,
      baseDecodeTime: t,
      duration,
      sampleCount: spec.stream.fps
        ? Math.round(
            (duration * spec.stream.fps.num) /
              (spec.stream.fps.den * spec.timescale),
          )
        : Math.round(duration / 1024),
    });
    t += duration;
  });
  return facts;
}

/** Default: 3 segments, renditions 720p and 360p, plus audio. */
export function buildManifestFixture(
  options: FixtureOptions = {},
): ManifestInput {
  const {
    mediaId = 'med_fixture',
    version = 'v1',
    segments = 3,
    video = true,
    audio = true,
    encryption,
  } = options;
  const specs = [
    ...(video ? FIXTURE_VIDEO : []),
    ...(audio ? [FIXTURE_AUDIO] : []),
  ];
  return {
    mediaId,
    version,
    streams: specs.map((s) => ({
      ...s.stream,
      ...(encryption ? { encryption: { ...encryption } } : {}),
    })),
    outputs: specs.flatMap((s) => factsFor(mediaId, s, segments)),
  };
}

/** The manifester's files for these facts, written under `bucketDir` at their bucket keys, as the store would hold them. */
export async function publishManifests(bucketDir: string, input: ManifestInput): Promise<WrittenManifests> {
  const written = await writeManifests(input);
  for (const file of written.files) {
    await mkdir(dirname(join(bucketDir, file.key)), { recursive: true });
    await writeFile(join(bucketDir, file.key), file.body);
  }
  return written;
}

import { createHash } from 'node:crypto';
import { JobName, OutputFact, PayloadOf, SegmentSpec, TaskReport, taskReportSchema } from '@airlock/contracts';
import { AUDIO_RENDITION, storageKeys } from '@airlock/domain';
import { failureText } from './check-failure';
import { checkReportsAgainstPlan } from './plan-checks';

/** The checks with failures as text (`reason: detail`), as they are reported. */
function check(...args: Parameters<typeof checkReportsAgainstPlan>) {
  const result = checkReportsAgainstPlan(...args);
  return { ...result, failures: result.failures.map(failureText) };
}

type Expected = PayloadOf<typeof JobName.OutputsVerify>['expected'];

const MEDIA = 'm1';
const VIDEO_TIMESCALE = 15360;
const AUDIO_TIMESCALE = 48000;

/** 64 lowercase hex characters derived from a label, so fixtures are deterministic. */
const sha = (label: string) => createHash('sha256').update(label).digest('hex');

/** Two 6 s segments of a 12 s 30 fps clip. */
const SEGMENTS: SegmentSpec[] = [
  { index: 0, startFrame: 0, frameCount: 180, startSec: 0, durationSec: 6, gopAligned: true },
  { index: 1, startFrame: 180, frameCount: 180, startSec: 6, durationSec: 6, gopAligned: true },
];

const KEY_ID = '5e'.repeat(16);
const ENCRYPTION = { scheme: 'aes-128' as const, keyId: KEY_ID };

function expected(overrides: Partial<Expected> = {}): Expected {
  return { renditions: ['360p', '720p'], segments: SEGMENTS, audio: true, keyId: KEY_ID, ...overrides };
}

function initFact(rendition: string, hash = sha(`init:${rendition}`), timescale = VIDEO_TIMESCALE): OutputFact {
  return {
    kind: 'init',
    rendition,
    segmentIndex: -1,
    key: storageKeys.initSegment(MEDIA, rendition, hash),
    sha256: hash,
    sizeBytes: 900,
    timescale,
    baseDecodeTime: 0,
    duration: 0,
    sampleCount: 0,
  };
}

/** A media fact exactly where the plan puts the segment. */
function mediaFact(rendition: string, seg: SegmentSpec, overrides: Partial<OutputFact> = {}): OutputFact {
  const hash = overrides.sha256 ?? sha(`media:${rendition}:${seg.index}`);
  return {
    kind: 'media',
    rendition,
    segmentIndex: seg.index,
    key: storageKeys.mediaSegment(MEDIA, rendition, seg.index, hash),
    sha256: hash,
    sizeBytes: 250_000,
    timescale: VIDEO_TIMESCALE,
    baseDecodeTime: Math.round(seg.startSec * VIDEO_TIMESCALE),
    duration: Math.round(seg.durationSec * VIDEO_TIMESCALE),
    sampleCount: seg.frameCount,
    ...overrides,
  };
}

let attempt = 0;

function report(rendition: string, outputs: OutputFact[], overrides: Partial<TaskReport> = {}): TaskReport {
  attempt++;
  const audio = rendition === AUDIO_RENDITION;
  const built: TaskReport = {
    taskId: `task-${rendition}-${attempt}`,
    attemptId: `attempt-${attempt}`,
    attemptNumber: 1,
    workerId: 'worker-1',
    encoderPath: '/usr/bin/ffmpeg',
    encoderBuild: 'test',
    startedAt: '2024-01-01T00:00:00.000Z',
    finishedAt: '2024-01-01T00:00:05.000Z',
    stream: audio
      ? { rendition, type: 'audio', codecs: 'mp4a.40.2', bitrateKbps: 128, sampleRate: 48000, channels: 2, encryption: ENCRYPTION }
      : { rendition, type: 'video', codecs: 'avc1.64001f', width: 1280, height: 720, fps: { num: 30, den: 1 }, bitrateKbps: 2800, encryption: ENCRYPTION },
    outputs,
    cleanup: { pathsRemoved: 3, bytesRemoved: 1_000_000, tempDirGone: true, grantReleased: true },
    ...overrides,
  };
  // Fixtures must be reports a worker could really send.
  return taskReportSchema.parse(built);
}

function videoReport(rendition: string, seg: SegmentSpec, overrides: Partial<OutputFact> = {}): TaskReport {
  return report(rendition, [initFact(rendition), mediaFact(rendition, seg, overrides)]);
}

function audioReport(outputs?: OutputFact[]): TaskReport {
  const whole: SegmentSpec = { index: 0, startFrame: 0, frameCount: 563, startSec: 0, durationSec: 12, gopAligned: true };
  const media: OutputFact = {
    ...mediaFact(AUDIO_RENDITION, whole),
    timescale: AUDIO_TIMESCALE,
    baseDecodeTime: 0,
    duration: 12 * AUDIO_TIMESCALE,
  };
  return report(AUDIO_RENDITION, outputs ?? [initFact(AUDIO_RENDITION, sha('init:audio'), AUDIO_TIMESCALE), media]);
}

/** One report per (rendition, segment) task plus the audio task, all consistent with the plan. */
function goodReports(plan: Expected = expected()): TaskReport[] {
  const video = plan.renditions.flatMap((r) => plan.segments.map((s) => videoReport(r, s)));
  return plan.audio ? [audioReport(), ...video] : video;
}

/** Every reported video report except the one for (rendition, segment index). */
function without(reports: TaskReport[], rendition: string, index: number): TaskReport[] {
  return reports.filter((r) => !(r.stream.rendition === rendition && r.outputs.some((o) => o.kind === 'media' && o.segmentIndex === index)));
}

const codes = (failures: readonly string[]) => failures.map((f) => f.split(':')[0]);

describe('checkReportsAgainstPlan', () => {
  it('passes reports that match the plan', () => {
    const result = check(expected(), goodReports());

    expect(result.failures).toEqual([]);
    // Inits shared by a rendition's chunks are one object: 3 inits + 4 video + 1 audio media.
    expect(result.outputs).toHaveLength(3 + 4 + 1);
    expect(result.streams.map((s) => s.rendition).sort()).toEqual(['360p', '720p', 'audio']);
  });

  describe('chat files', () => {
    const fileReport = (name: string, encryption: { scheme: 'aes-128' | 'blob-aes256gcm'; keyId: string } = { scheme: 'blob-aes256gcm', keyId: KEY_ID }) => {
      const hash = sha(`file:${name}`);
      const fact: OutputFact = { kind: 'file', rendition: name, segmentIndex: 0, key: storageKeys.fileOutput(MEDIA, name, hash), sha256: hash, sizeBytes: 40_000, timescale: 1000, baseDecodeTime: 0, duration: 0, sampleCount: 0 };
      return report(name, [fact], { stream: { rendition: name, type: 'file', codecs: 'image/jpeg', width: 854, height: 480, bitrateKbps: 0, encryption } });
    };

    it('passes one sealed object per planned file', () => {
      const plan = expected({ files: ['poster', 'animated_preview'] });
      expect(check(plan, [...goodReports(plan), fileReport('poster'), fileReport('animated_preview')]).failures).toEqual([]);
    });

    it('names a missing file, a file sealed the segment way, and a file nobody planned', () => {
      const plan = expected({ files: ['poster', 'animated_preview'] });
      const result = check(plan, [...goodReports(plan), fileReport('poster', ENCRYPTION), fileReport('mobile_mp4_720p')]);
      expect(codes(result.failures).sort()).toEqual(['encryption_scheme', 'file_missing', 'stream_missing', 'unexpected_rendition']);
    });
  });

  it('passes a plan without audio', () => {
    const plan = expected({ audio: false });
    expect(check(plan, goodReports(plan)).failures).toEqual([]);
  });

  it('passes 29.97 fps segments with a 30000 timescale', () => {
    const ntsc: SegmentSpec[] = [
      { index: 0, startFrame: 0, frameCount: 180, startSec: 0, durationSec: (180 * 1001) / 30000, gopAligned: true },
      { index: 1, startFrame: 180, frameCount: 150, startSec: (180 * 1001) / 30000, durationSec: (150 * 1001) / 30000, gopAligned: true },
    ];
    const plan = expected({ segments: ntsc, renditions: ['720p'], audio: false });
    const reports = ntsc.map((s) =>
      videoReport('720p', s, { timescale: 30000, baseDecodeTime: s.startFrame * 1001, duration: s.frameCount * 1001 }),
    );

    expect(check(plan, reports).failures).toEqual([]);
  });

  it('flags a missing segment', () => {
    const { failures } = check(expected(), without(goodReports(), '720p', 1));

    expect(codes(failures)).toEqual(['segment_missing']);
    expect(failures[0]).toContain('720p segment 1');
  });

  it('flags a segment reported twice with different bytes', () => {
    const twice = videoReport('720p', SEGMENTS[1], { sha256: sha('a different encode') });
    const { failures } = check(expected(), [...goodReports(), twice]);

    expect(codes(failures)).toEqual(['segment_missing']);
    expect(failures[0]).toContain('720p segment 1 reported 2 times');
  });

  it('accepts the same segment reported twice with identical bytes (a retried attempt)', () => {
    const retry = videoReport('720p', SEGMENTS[1]);
    const result = check(expected(), [...goodReports(), retry]);

    expect(result.failures).toEqual([]);
    expect(result.outputs).toHaveLength(8);
  });

  it('flags two different init segments in one rendition', () => {
    const reports = without(goodReports(), '360p', 1);
    const odd = report('360p', [initFact('360p', sha('another init')), mediaFact('360p', SEGMENTS[1])]);
    const { failures } = check(expected(), [...reports, odd]);

    expect(codes(failures)).toEqual(['init_mismatch']);
    expect(failures[0]).toContain('360p has 2 distinct init segments');
  });

  it('flags a rendition without any init segment', () => {
    const reports = goodReports().filter((r) => r.stream.rendition !== '360p');
    const noInit = SEGMENTS.map((s) => report('360p', [mediaFact('360p', s)]));
    const { failures } = check(expected(), [...reports, ...noInit]);

    expect(codes(failures)).toEqual(['init_mismatch']);
    expect(failures[0]).toContain('360p has 0 distinct');
  });

  it('flags a segment that starts off the planned timeline', () => {
    const reports = without(goodReports(), '720p', 1);
    const late = videoReport('720p', SEGMENTS[1], { baseDecodeTime: 6 * VIDEO_TIMESCALE + 512 });
    const { failures } = check(expected(), [...reports, late]);

    expect(codes(failures)).toEqual(['timeline_mismatch']);
    expect(failures[0]).toContain('720p segment 1');
  });

  it('tolerates a one-tick rounding difference', () => {
    const reports = without(goodReports(), '720p', 1);
    const rounded = videoReport('720p', SEGMENTS[1], { baseDecodeTime: 6 * VIDEO_TIMESCALE + 1, duration: 6 * VIDEO_TIMESCALE - 1 });

    expect(check(expected(), [...reports, rounded]).failures).toEqual([]);
  });

  it('flags a segment of the wrong duration', () => {
    const reports = without(goodReports(), '360p', 0);
    const short = videoReport('360p', SEGMENTS[0], { duration: 5 * VIDEO_TIMESCALE });
    const { failures } = check(expected(), [...reports, short]);

    expect(codes(failures)).toEqual(['duration_mismatch']);
    expect(failures[0]).toContain('360p segment 0');
  });

  it('flags a segment with the wrong number of frames', () => {
    const reports = without(goodReports(), '360p', 0);
    const dropped = videoReport('360p', SEGMENTS[0], { sampleCount: 179 });
    const { failures } = check(expected(), [...reports, dropped]);

    expect(codes(failures)).toEqual(['frame_count_mismatch']);
    expect(failures[0]).toContain('179 frames, plan 180');
  });

  it('flags a rendition nobody planned', () => {
    const extra = SEGMENTS.map((s) => videoReport('1080p', s));
    const { failures } = check(expected(), [...goodReports(), ...extra]);

    expect(failures).toEqual(['unexpected_rendition: 1080p']);
  });

  it('flags audio reported for a plan without audio', () => {
    const plan = expected({ audio: false });
    const { failures } = check(plan, [...goodReports(plan), audioReport()]);

    expect(failures).toEqual([`unexpected_rendition: ${AUDIO_RENDITION}`]);
  });

  it('flags audio without an init segment', () => {
    const reports = goodReports().filter((r) => r.stream.rendition !== AUDIO_RENDITION);
    const audioMediaOnly = audioReport().outputs.filter((o) => o.kind === 'media');
    const { failures } = check(expected(), [...reports, audioReport(audioMediaOnly)]);

    expect(failures).toEqual(['init_mismatch: audio needs exactly one init']);
  });

  it('flags audio without media segments', () => {
    const reports = goodReports().filter((r) => r.stream.rendition !== AUDIO_RENDITION);
    const initOnly = [initFact(AUDIO_RENDITION, sha('init:audio'), AUDIO_TIMESCALE)];
    const { failures } = check(expected(), [...reports, audioReport(initOnly)]);

    expect(failures).toEqual(['segment_missing: audio has no segments']);
  });

  it('flags missing audio entirely', () => {
    const reports = goodReports().filter((r) => r.stream.rendition !== AUDIO_RENDITION);
    const { failures } = check(expected(), reports);

    expect(codes(failures).sort()).toEqual(['init_mismatch', 'segment_missing']);
  });

  it('flags a planned rendition with no report at all', () => {
    const reports = goodReports().filter((r) => r.stream.rendition !== '360p');
    const { failures } = check(expected(), reports);

    expect(codes(failures)).toEqual(['init_mismatch', 'segment_missing', 'segment_missing', 'stream_missing']);
    expect(failures[3]).toBe('stream_missing: 360p');
  });

  it('blames the attempt whose facts are wrong', () => {
    const reports = goodReports();
    const late = report('720p', [initFact('720p'), mediaFact('720p', SEGMENTS[1], { baseDecodeTime: 1 })], { attemptId: 'attempt-late' });
    const { failures } = checkReportsAgainstPlan(expected(), [...without(reports, '720p', 1), late]);

    expect(failures).toEqual([expect.objectContaining({ reason: 'timeline_mismatch', attemptId: 'attempt-late' })]);
  });

  it('compares a rendition\'s summed durations with the source', () => {
    expect(check(expected(), goodReports(), 12.2).failures).toEqual([]);
    expect(codes(check(expected(), goodReports(), 13).failures)).toEqual(['total_duration_mismatch', 'total_duration_mismatch']);
  });

  it('reports every problem at once', () => {
    const reports = without(goodReports(), '720p', 0);
    const bad = videoReport('720p', SEGMENTS[1], { sampleCount: 1, duration: 1 });
    const { failures } = check(expected(), [...without(reports, '720p', 1), bad]);

    expect(codes(failures)).toEqual(['segment_missing', 'duration_mismatch', 'frame_count_mismatch']);
  });

  it('flags a planned rendition carrying an extra segment or a fact of an unplanned rendition', () => {
    const reports = goodReports();
    const extraIndex: SegmentSpec = { ...SEGMENTS[SEGMENTS.length - 1], index: SEGMENTS.length };
    const i = reports.findIndex((r) => r.stream.type === 'video');
    reports[i] = { ...reports[i], outputs: [...reports[i].outputs, mediaFact(reports[i].stream.rendition, extraIndex), mediaFact('1080p', SEGMENTS[0])] };
    expect(codes(check(expected(), reports).failures).sort()).toEqual(['unexpected_output', 'unexpected_rendition']);
  });

  it('flags a stream left unencrypted, encrypted under another key id, or sealed the chat-file way', () => {
    const reports = goodReports();
    const v = reports.findIndex((r) => r.stream.type === 'video');
    const a = reports.findIndex((r) => r.stream.type === 'audio');
    reports[v] = { ...reports[v], stream: { ...reports[v].stream, encryption: undefined } };
    reports[a] = { ...reports[a], stream: { ...reports[a].stream, encryption: { scheme: 'aes-128', keyId: '00'.repeat(16) } } };
    expect(codes(check(expected(), reports).failures).sort()).toEqual(['encryption_missing', 'key_mismatch']);
    // Segments are whole-object AES-128 (what HLS players decrypt), never the chat files' sealing.
    reports[a] = { ...reports[a], stream: { ...reports[a].stream, encryption: { scheme: 'blob-aes256gcm', keyId: KEY_ID } } };
    expect(codes(check(expected(), reports).failures).sort()).toEqual(['encryption_missing', 'encryption_scheme']);
  });
});

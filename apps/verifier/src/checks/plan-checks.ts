import { OutputFact, PayloadOf, JobName, StreamInfo, TaskReport } from '@airlock/contracts';
import { AUDIO_RENDITION } from '@airlock/domain';
import { CheckFailure } from './check-failure';

type Expected = PayloadOf<typeof JobName.OutputsVerify>['expected'];

/** The source's container duration may run past its last video frame (audio, rounding). */
const TOTAL_DURATION_TOLERANCE_SEC = 0.5;

export interface PlanCheckResult {
  readonly failures: CheckFailure[];
  readonly outputs: OutputFact[];
  readonly streams: StreamInfo[];
}

/**
 * Pure checks of the workers' reports against the plan: every task reported, every
 * segment present once, one init per rendition shared by all its chunks (they join),
 * each chunk starting exactly where the plan put it on the timeline, and one sealed object
 * per chat file. A failure in one report's facts names that report's attempt.
 */
export function checkReportsAgainstPlan(expected: Expected, reports: readonly TaskReport[], sourceDurationSec?: number): PlanCheckResult {
  const failures: CheckFailure[] = [];
  const outputs = new Map<string, OutputFact>();
  const streams = new Map<string, StreamInfo>();
  /** Which attempt reported each object (the last one, as the maps keep the last). */
  const owner = new Map<string, string>();
  for (const r of reports) {
    streams.set(r.stream.rendition, r.stream);
    for (const o of r.outputs) {
      outputs.set(o.key, o);
      owner.set(o.key, r.attemptId);
    }
  }
  const fail = (reason: string, detail: string, by: { key?: string; attemptId?: string } = {}) =>
    failures.push({ reason, detail, ...by, ...(by.key ? { attemptId: owner.get(by.key) } : {}) });
  const all = [...outputs.values()];

  for (const rendition of expected.renditions) {
    const inits = new Set(all.filter((o) => o.rendition === rendition && o.kind === 'init').map((o) => o.sha256));
    if (inits.size !== 1) fail('init_mismatch', `${rendition} has ${inits.size} distinct init segments`);
    for (const seg of expected.segments) {
      const found = all.filter((o) => o.rendition === rendition && o.kind === 'media' && o.segmentIndex === seg.index);
      if (found.length !== 1) {
        fail('segment_missing', `${rendition} segment ${seg.index} reported ${found.length} times`);
        continue;
      }
      const s = found[0];
      const start = Math.round(seg.startSec * s.timescale);
      const duration = Math.round(seg.durationSec * s.timescale);
      if (Math.abs(s.baseDecodeTime - start) > 1) fail('timeline_mismatch', `${rendition} segment ${seg.index} starts at ${s.baseDecodeTime}, plan ${start}`, { key: s.key });
      if (Math.abs(s.duration - duration) > 1) fail('duration_mismatch', `${rendition} segment ${seg.index} lasts ${s.duration}, plan ${duration}`, { key: s.key });
      if (s.sampleCount !== seg.frameCount) fail('frame_count_mismatch', `${rendition} segment ${seg.index} has ${s.sampleCount} frames, plan ${seg.frameCount}`, { key: s.key });
    }
    if (!streams.has(rendition)) fail('stream_missing', `${rendition}`);
    const media = all.filter((o) => o.rendition === rendition && o.kind === 'media');
    const total = media.reduce((sum, o) => sum + o.duration / o.timescale, 0);
    if (sourceDurationSec !== undefined && media.length > 0 && Math.abs(total - sourceDurationSec) > TOTAL_DURATION_TOLERANCE_SEC) {
      fail('total_duration_mismatch', `${rendition} plays ${total.toFixed(3)} s, the source ${sourceDurationSec.toFixed(3)} s`);
    }
  }

  const files = expected.files ?? [];
  for (const name of files) {
    const found = all.filter((o) => o.rendition === name);
    if (found.length !== 1 || found[0]?.kind !== 'file') fail('file_missing', `${name} reported ${found.length} objects, expected one sealed file`);
    if (streams.get(name)?.type !== 'file') fail('stream_missing', `${name}`);
  }

  const plannedIndexes = new Set(expected.segments.map((s) => s.index));
  const wanted = new Set([...expected.renditions, ...(expected.audio ? [AUDIO_RENDITION] : []), ...files]);
  const unplanned = new Set([...streams.keys(), ...all.map((o) => o.rendition)].filter((r) => !wanted.has(r)));
  for (const r of unplanned) fail('unexpected_rendition', `${r}`);
  for (const o of all) {
    if (o.kind === 'media' && o.rendition !== AUDIO_RENDITION && wanted.has(o.rendition) && !plannedIndexes.has(o.segmentIndex)) {
      fail('unexpected_output', `${o.key} is segment ${o.segmentIndex}, not in the plan`, { key: o.key });
    }
  }
  if (expected.audio) {
    const audio = all.filter((o) => o.rendition === AUDIO_RENDITION);
    if (audio.filter((o) => o.kind === 'init').length !== 1) fail('init_mismatch', 'audio needs exactly one init');
    if (audio.filter((o) => o.kind === 'media').length === 0) fail('segment_missing', 'audio has no segments');
  }
  for (const { stream, attemptId } of reports) {
    const scheme = stream.type === 'file' ? 'blob-aes256gcm' : 'aes-128';
    if (!stream.encryption) fail('encryption_missing', `${stream.rendition} from attempt ${attemptId} is not encrypted for recipients`, { attemptId });
    else if (stream.encryption.scheme !== scheme) fail('encryption_scheme', `${stream.rendition} from attempt ${attemptId} is ${stream.encryption.scheme}, expected ${scheme}`, { attemptId });
    else if (stream.encryption.keyId !== expected.keyId) fail('key_mismatch', `${stream.rendition} from attempt ${attemptId} is encrypted under another key id`, { attemptId });
  }
  return { failures, outputs: all, streams: [...streams.values()] };
}

import { OutputFact, PayloadOf, JobName, StreamInfo, TaskReport } from '@airlock/contracts';
import { AUDIO_RENDITION } from '@airlock/domain';

type Expected = PayloadOf<typeof JobName.OutputsVerify>['expected'];

export interface PlanCheckResult {
  readonly failures: string[];
  readonly outputs: OutputFact[];
  readonly streams: StreamInfo[];
}

/**
 * Pure checks of the workers' reports against the plan: every task reported, every
 * segment present once, one init per rendition shared by all its chunks (they join),
 * each chunk starting exactly where the plan put it on the timeline, and one sealed object
 * per chat file.
 * Failure strings start with a reason code.
 */
export function checkReportsAgainstPlan(expected: Expected, reports: readonly TaskReport[]): PlanCheckResult {
  const failures: string[] = [];
  const outputs = new Map<string, OutputFact>();
  const streams = new Map<string, StreamInfo>();
  for (const r of reports) {
    streams.set(r.stream.rendition, r.stream);
    for (const o of r.outputs) outputs.set(o.key, o);
  }
  const all = [...outputs.values()];

  for (const rendition of expected.renditions) {
    const inits = new Set(all.filter((o) => o.rendition === rendition && o.kind === 'init').map((o) => o.sha256));
    if (inits.size !== 1) failures.push(`init_mismatch: ${rendition} has ${inits.size} distinct init segments`);
    for (const seg of expected.segments) {
      const found = all.filter((o) => o.rendition === rendition && o.kind === 'media' && o.segmentIndex === seg.index);
      if (found.length !== 1) {
        failures.push(`segment_missing: ${rendition} segment ${seg.index} reported ${found.length} times`);
        continue;
      }
      const s = found[0];
      const start = Math.round(seg.startSec * s.timescale);
      const duration = Math.round(seg.durationSec * s.timescale);
      if (Math.abs(s.baseDecodeTime - start) > 1) failures.push(`timeline_mismatch: ${rendition} segment ${seg.index} starts at ${s.baseDecodeTime}, plan ${start}`);
      if (Math.abs(s.duration - duration) > 1) failures.push(`duration_mismatch: ${rendition} segment ${seg.index} lasts ${s.duration}, plan ${duration}`);
      if (s.sampleCount !== seg.frameCount) failures.push(`frame_count_mismatch: ${rendition} segment ${seg.index} has ${s.sampleCount} frames, plan ${seg.frameCount}`);
    }
    if (!streams.has(rendition)) failures.push(`stream_missing: ${rendition}`);
  }

  const files = expected.files ?? [];
  for (const name of files) {
    const found = all.filter((o) => o.rendition === name);
    if (found.length !== 1 || found[0]?.kind !== 'file') failures.push(`file_missing: ${name} reported ${found.length} objects, expected one sealed file`);
    if (streams.get(name)?.type !== 'file') failures.push(`stream_missing: ${name}`);
  }

  const plannedIndexes = new Set(expected.segments.map((s) => s.index));
  const wanted = new Set([...expected.renditions, ...(expected.audio ? [AUDIO_RENDITION] : []), ...files]);
  const unplanned = new Set([...streams.keys(), ...all.map((o) => o.rendition)].filter((r) => !wanted.has(r)));
  for (const r of unplanned) failures.push(`unexpected_rendition: ${r}`);
  for (const o of all) {
    if (o.kind === 'media' && o.rendition !== AUDIO_RENDITION && wanted.has(o.rendition) && !plannedIndexes.has(o.segmentIndex)) {
      failures.push(`unexpected_output: ${o.key} is segment ${o.segmentIndex}, not in the plan`);
    }
  }
  if (expected.audio) {
    const audio = all.filter((o) => o.rendition === AUDIO_RENDITION);
    if (audio.filter((o) => o.kind === 'init').length !== 1) failures.push('init_mismatch: audio needs exactly one init');
    if (audio.filter((o) => o.kind === 'media').length === 0) failures.push('segment_missing: audio has no segments');
  }
  for (const { stream, attemptId } of reports) {
    const scheme = stream.type === 'file' ? 'blob-aes256gcm' : 'cbcs';
    if (!stream.encryption) failures.push(`encryption_missing: ${stream.rendition} from attempt ${attemptId} is not encrypted for recipients`);
    else if (stream.encryption.scheme !== scheme) failures.push(`encryption_scheme: ${stream.rendition} from attempt ${attemptId} is ${stream.encryption.scheme}, expected ${scheme}`);
    else if (stream.encryption.keyId !== expected.keyId) failures.push(`key_mismatch: ${stream.rendition} from attempt ${attemptId} is encrypted under another key id`);
  }
  for (const r of reports) {
    if (!r.cleanup.tempDirGone) failures.push(`cleanup_incomplete: attempt ${r.attemptId} left its temp dir`);
  }
  return { failures, outputs: all, streams: [...streams.values()] };
}

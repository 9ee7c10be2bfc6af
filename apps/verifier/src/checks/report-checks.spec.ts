import { TaskReport } from '@airlock/contracts';
import { AttemptFacts, checkReport, ReportContext, TaskFacts } from './report-checks';

const SOURCE = 'a'.repeat(64);
const KEY = (i: number) => `seg/m1/360p/${i}-${'b'.repeat(64)}.m4s`;

const task: TaskFacts = { id: 't1', jobId: 'j1', kind: 'video', rendition: '360p', segmentIndex: 1, winningAttemptId: 'a1' };
const attempt: AttemptFacts = { id: 'a1', taskId: 't1', workerId: 'w1', state: 'succeeded' };

function report(overrides: Partial<TaskReport> = {}): TaskReport {
  return {
    taskId: 't1',
    attemptId: 'a1',
    attemptNumber: 1,
    workerId: 'w1',
    encoderPath: 'cpu',
    encoderBuild: 'ffmpeg 5.1',
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:00:01Z',
    stream: { rendition: '360p', type: 'video', codecs: 'avc1.64001e', bitrateKbps: 800 },
    outputs: [
      { kind: 'init', rendition: '360p', segmentIndex: -1, key: 'seg/m1/360p/init', sha256: 'c'.repeat(64), sizeBytes: 900, timescale: 15360, baseDecodeTime: 0, duration: 0, sampleCount: 0 },
      { kind: 'media', rendition: '360p', segmentIndex: 1, key: KEY(1), sha256: 'b'.repeat(64), sizeBytes: 9000, timescale: 15360, baseDecodeTime: 92160, duration: 92160, sampleCount: 180 },
    ],
    cleanup: { pathsRemoved: 4, bytesRemoved: 1000, tempDirGone: true, grantReleased: true },
    inputSha256: SOURCE,
    signature: 'sig',
    ...overrides,
  };
}

const ctx = (overrides: Partial<ReportContext> = {}): ReportContext => ({ jobId: 'j1', sourceSha256: SOURCE, task, attempt, signature: 'valid', ...overrides });
const reasons = (r: TaskReport, c: ReportContext) => checkReport(r, c).map((f) => f.reason);

describe('checkReport', () => {
  it('passes a signed report from the live attempt, about the uploaded source, inside its task', () => {
    expect(checkReport(report(), ctx())).toEqual([]);
  });

  it('names a missing or broken signature', () => {
    expect(reasons(report(), ctx({ signature: 'unsigned' }))).toEqual(['report_unsigned']);
    expect(reasons(report(), ctx({ signature: 'invalid' }))).toEqual(['report_signature_invalid']);
  });

  it('names a missing or incomplete cleanup receipt', () => {
    expect(reasons(report({ cleanup: undefined }), ctx())).toEqual(['cleanup_receipt_missing']);
    expect(reasons(report({ cleanup: { pathsRemoved: 0, bytesRemoved: 0, tempDirGone: false, grantReleased: true } }), ctx())).toEqual(['cleanup_incomplete']);
  });

  it('names another input than the uploaded source', () => {
    expect(reasons(report({ inputSha256: 'd'.repeat(64) }), ctx())).toEqual(['input_hash_mismatch']);
    expect(reasons(report({ inputSha256: undefined }), ctx())).toEqual(['input_hash_mismatch']);
  });

  it('names a report that is not from the live attempt of a task of this job', () => {
    expect(reasons(report(), ctx({ task: undefined }))).toEqual(['task_unknown']);
    expect(reasons(report(), ctx({ task: { ...task, jobId: 'j2' } }))).toEqual(['task_unknown']);
    expect(reasons(report(), ctx({ attempt: undefined }))).toEqual(['attempt_unknown']);
    expect(reasons(report(), ctx({ task: { ...task, winningAttemptId: 'a0' } }))).toEqual(['attempt_not_live']);
    expect(reasons(report(), ctx({ attempt: { ...attempt, state: 'rejected' } }))).toEqual(['attempt_not_live']);
    // A winner the watchdog had given up on is still the winner.
    expect(reasons(report(), ctx({ attempt: { ...attempt, state: 'stale' } }))).toEqual([]);
    expect(reasons(report(), ctx({ attempt: { ...attempt, workerId: 'w2' } }))).toEqual(['worker_mismatch']);
  });

  it("names an output outside the task's slot (another segment's, another rendition's)", () => {
    const [init, media] = report().outputs;
    expect(reasons(report({ outputs: [init, { ...media, segmentIndex: 0, key: KEY(0) }] }), ctx())).toEqual(['output_outside_task']);
    expect(reasons(report({ outputs: [{ ...init, rendition: '720p' }, media] }), ctx())).toEqual(['output_outside_task']);
  });

  it('blames the attempt for every failure', () => {
    expect(checkReport(report({ cleanup: undefined }), ctx({ signature: 'invalid' })).every((f) => f.attemptId === 'a1')).toBe(true);
  });
});

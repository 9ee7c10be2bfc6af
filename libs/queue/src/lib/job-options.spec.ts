import { JobName } from '@airlock/contracts';
import { jobIdOf, jobOptions } from './job-options';

const WORKER_JOBS: JobName[] = [JobName.MediaProbe, JobName.SegmentTranscode, JobName.SegmentGroupTranscode, JobName.AudioTranscode, JobName.FileTranscode];
const OTHER_JOBS: JobName[] = Object.values(JobName).filter((n) => !WORKER_JOBS.includes(n));

describe('jobOptions', () => {
  it.each(WORKER_JOBS)('gives worker job %s 3 attempts and a 1 s exponential backoff', (name) => {
    expect(jobOptions(name, { jobId: 'j1' })).toMatchObject({
      jobId: 'j1',
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
    });
  });

  it.each(OTHER_JOBS)('gives control job %s 5 attempts and a 500 ms exponential backoff', (name) => {
    expect(jobOptions(name, { jobId: 'j1' })).toMatchObject({
      jobId: 'j1',
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
    });
  });

  it('uses explicit attempts when given', () => {
    expect(jobOptions(JobName.SegmentTranscode, { jobId: 'j', attempts: 7 }).attempts).toBe(7);
    expect(jobOptions(JobName.TaskRecord, { jobId: 'j', attempts: 1 }).attempts).toBe(1);
  });

  it('sets a priority only when asked', () => {
    expect(jobOptions(JobName.MediaProbe, { jobId: 'j', priority: 4 }).priority).toBe(4);
    expect(jobOptions(JobName.MediaProbe, { jobId: 'j' })).not.toHaveProperty('priority');
  });

  it('bounds retention of finished jobs', () => {
    const opts = jobOptions(JobName.MediaStart, { jobId: 'j' });

    expect(opts.removeOnComplete).toEqual({ age: 24 * 3600, count: 10000 });
    expect(opts.removeOnFail).toEqual({ age: 7 * 24 * 3600 });
  });

  it('returns a fresh object each call', () => {
    const a = jobOptions(JobName.MediaStart, { jobId: 'j' });
    a.failParentOnFailure = true;
    expect(jobOptions(JobName.MediaStart, { jobId: 'j' }).failParentOnFailure).toBeUndefined();
  });
});

describe('jobIdOf', () => {
  it('joins parts with a separator BullMQ accepts', () => {
    expect(jobIdOf('transcode', 'abc')).toBe('transcode__abc');
    expect(jobIdOf('record', 'abc', 3)).toBe('record__abc__3');
    expect(jobIdOf('transcode', 'abc')).not.toContain(':');
  });

  it('is deterministic and distinguishes kinds of work for one task', () => {
    expect(jobIdOf('audio', 't1')).toBe(jobIdOf('audio', 't1'));
    expect(jobIdOf('audio', 't1')).not.toBe(jobIdOf('record', 't1'));
  });
});

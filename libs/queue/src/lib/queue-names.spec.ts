import { JobName } from '@airlock/contracts';
import { ALL_QUEUES, QueueName, queueFor, SERVICE_JOBS, SERVICE_QUEUES } from './queue-names';

describe('queueFor', () => {
  it.each([
    [JobName.MediaStart, QueueName.Orchestrator],
    [JobName.MediaPlan, QueueName.Orchestrator],
    [JobName.TaskRecord, QueueName.Orchestrator],
    [JobName.MediaPublish, QueueName.Orchestrator],
    [JobName.OutputsVerify, QueueName.Verify],
    [JobName.ManifestWrite, QueueName.Manifest],
    [JobName.MediaProbe, QueueName.Short],
  ])('sends %s to %s', (name, queue) => {
    expect(queueFor(name)).toBe(queue);
  });

  it.each([JobName.SegmentTranscode, JobName.AudioTranscode])('sends %s to the lane it is given', (name) => {
    expect(queueFor(name, QueueName.Short)).toBe(QueueName.Short);
    expect(queueFor(name, QueueName.Long)).toBe(QueueName.Long);
  });

  it('sends a segment to the gpu lane when the planner chose it (heavy rungs)', () => {
    expect(queueFor(JobName.SegmentTranscode, QueueName.Gpu)).toBe('gpu');
    expect(ALL_QUEUES).toContain(QueueName.Gpu);
  });

  it.each([JobName.SegmentTranscode, JobName.AudioTranscode])('throws for %s without a lane', (name) => {
    expect(() => queueFor(name)).toThrow(`${name} needs a lane`);
  });

  it('ignores a lane for jobs that have a fixed queue', () => {
    expect(queueFor(JobName.OutputsVerify, QueueName.Long)).toBe(QueueName.Verify);
  });

  it('puts a probe on the lane it is given (by its source size), the short one when none is', () => {
    expect(queueFor(JobName.MediaProbe, QueueName.Long)).toBe(QueueName.Long);
    expect(queueFor(JobName.MediaProbe)).toBe(QueueName.Short);
  });
});

describe('service wiring', () => {
  it('assigns every job to exactly one service', () => {
    const assigned = Object.values(SERVICE_JOBS).flat();
    expect([...assigned].sort()).toEqual(Object.values(JobName).sort());
  });

  it('lets each non-worker service consume the queue its jobs are routed to', () => {
    for (const [service, queues] of Object.entries(SERVICE_QUEUES)) {
      const jobs: readonly JobName[] = SERVICE_JOBS[service as keyof typeof SERVICE_QUEUES];
      for (const job of jobs) expect(queues).toContain(queueFor(job));
    }
  });

  it('lists every queue once', () => {
    expect(new Set(ALL_QUEUES).size).toBe(ALL_QUEUES.length);
    expect(ALL_QUEUES).toEqual(expect.arrayContaining(Object.values(QueueName)));
  });
});

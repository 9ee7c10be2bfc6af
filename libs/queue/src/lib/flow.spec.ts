import { JobName } from '@airlock/contracts';
import { countNodes, FlowNode, toFlowJob } from './flow';
import { QueueName } from './queue-names';

const MEDIA_ID = '11111111-1111-4111-8111-111111111111';
const JOB_ID = '22222222-2222-4222-8222-222222222222';
const TASK_ID = '33333333-3333-4333-8333-333333333333';

function tree(recordEdge?: FlowNode['onFailure']): FlowNode {
  const work: FlowNode = {
    name: JobName.AudioTranscode,
    queue: QueueName.Long,
    jobId: `audio__${TASK_ID}`,
    data: { mediaId: MEDIA_ID, jobId: JOB_ID, taskId: TASK_ID, sourceKey: 'src/k', durationSec: 3, keyTtlSec: 600 },
    attempts: 2,
    onFailure: 'report-to-parent',
  };
  const record: FlowNode = {
    name: JobName.TaskRecord,
    queue: QueueName.Orchestrator,
    jobId: `record__${TASK_ID}`,
    data: { mediaId: MEDIA_ID, jobId: JOB_ID, taskId: TASK_ID },
    onFailure: recordEdge,
    children: [work],
  };
  return { name: JobName.MediaPublish, queue: QueueName.Orchestrator, jobId: `publish__${JOB_ID}`, data: { mediaId: MEDIA_ID, jobId: JOB_ID }, children: [record] };
}

describe('toFlowJob', () => {
  it('converts names, queues, ids, attempts and children', () => {
    const job = toFlowJob(tree('fail-parent'));

    expect(job).toMatchObject({ name: JobName.MediaPublish, queueName: QueueName.Orchestrator, opts: { jobId: `publish__${JOB_ID}`, attempts: 5 } });
    const [record] = job.children ?? [];
    expect(record).toMatchObject({ name: JobName.TaskRecord, queueName: QueueName.Orchestrator });
    const [work] = record.children ?? [];
    expect(work).toMatchObject({ name: JobName.AudioTranscode, queueName: QueueName.Long, opts: { jobId: `audio__${TASK_ID}`, attempts: 2 } });
    expect(work.children).toBeUndefined();
  });

  it('maps fail-parent to failParentOnFailure only', () => {
    const [record] = toFlowJob(tree('fail-parent')).children ?? [];

    expect(record.opts?.failParentOnFailure).toBe(true);
    expect(record.opts?.ignoreDependencyOnFailure).toBeUndefined();
  });

  it('maps report-to-parent to ignoreDependencyOnFailure only', () => {
    const [record] = toFlowJob(tree('report-to-parent')).children ?? [];
    const [work] = record.children ?? [];

    for (const j of [record, work]) {
      expect(j.opts?.ignoreDependencyOnFailure).toBe(true);
      expect(j.opts?.failParentOnFailure).toBeUndefined();
    }
  });

  it('sets neither option without an edge', () => {
    const job = toFlowJob(tree());
    const [record] = job.children ?? [];

    for (const j of [job, record]) {
      expect(j.opts?.failParentOnFailure).toBeUndefined();
      expect(j.opts?.ignoreDependencyOnFailure).toBeUndefined();
    }
  });

  it('validates every payload, children included', () => {
    const bad = tree();
    const [record] = bad.children ?? [];
    const broken: FlowNode = { ...bad, children: [{ ...record, data: { mediaId: MEDIA_ID, jobId: JOB_ID, taskId: 'nope' } }] };

    expect(() => toFlowJob(broken)).toThrow();
  });
});

describe('countNodes', () => {
  it('counts the whole tree', () => {
    expect(countNodes(tree())).toBe(3);
    const [record] = tree().children ?? [];
    expect(countNodes(record)).toBe(2);
  });
});

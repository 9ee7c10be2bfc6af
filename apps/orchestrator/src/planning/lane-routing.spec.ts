import { JobName, Probe } from '@airlock/contracts';
import { FlowNode, QueueName } from '@airlock/queue';
import { buildMediaFlow, FlowInput, laneQueueOf, tasksOf } from './media-flow.builder';
import { MediaPlan, planMedia } from './media-plan';
import { buildProbe } from './probe.fixture';

const MEDIA_ID = '11111111-1111-4111-8111-111111111111';
const JOB_ID = '22222222-2222-4222-8222-222222222222';
function UHD(durationSec: number): Probe {
  const probe = buildProbe(durationSec);
  if (!probe.video) throw new Error('the fixture has video');
  return { ...probe, video: { ...probe.video, width: 3840, height: 2160 } };
}
const PROFILES = ['preview_360p', '720p', '1080p', '2160p', 'poster', 'mobile_mp4_720p'];

function flowOf(plan: MediaPlan): FlowNode {
  let n = 0;
  const tasks = tasksOf(plan, () => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`);
  const input: FlowInput = { mediaId: MEDIA_ID, jobId: JOB_ID, sourceKey: `src/${MEDIA_ID}/${'a'.repeat(64)}`, durationSec: 12, plan, tasks, taskAttempts: 3, keyTtlSec: 600, outputKeyId: 'ab'.repeat(16) };
  return buildMediaFlow(input);
}

function workQueues(node: FlowNode): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const walk = (n: FlowNode) => {
    if (n.name === JobName.SegmentTranscode || n.name === JobName.AudioTranscode || n.name === JobName.FileTranscode) {
      const d = n.data as { rendition?: { name: string }; profile?: string };
      const key = d.rendition?.name ?? d.profile ?? 'audio';
      out.set(key, new Set([...(out.get(key) ?? []), n.queue]));
    }
    (n.children ?? []).forEach(walk);
  };
  walk(node);
  return out;
}

describe('lane routing of heavy rungs', () => {
  it('keeps every task on the media lane by default (GPU_LANE off)', () => {
    const plan = planMedia(UHD(12), PROFILES, { shortLaneMaxSec: 60 });
    expect(plan.gpuLane).toBeUndefined();
    for (const queues of workQueues(flowOf(plan)).values()) expect([...queues]).toEqual([QueueName.Short]);
  });

  it('sends only the 4K rung to the gpu lane when GPU_LANE is on, and keeps the choice with the plan', () => {
    const plan = planMedia(UHD(12), PROFILES, { shortLaneMaxSec: 60, gpuLane: true });
    expect(plan.gpuLane).toBe(true);
    const queues = workQueues(flowOf(plan));
    expect([...(queues.get('2160p') ?? [])]).toEqual([QueueName.Gpu]);
    for (const name of ['720p', '1080p', 'audio', 'poster', 'mobile_mp4_720p']) expect([...(queues.get(name) ?? [])]).toEqual([QueueName.Short]);
    // A plan read back from Postgres (recovery, re-drive) routes the same way.
    expect(laneQueueOf(JSON.parse(JSON.stringify(plan)) as MediaPlan, '2160p')).toBe(QueueName.Gpu);
  });

  it('routes a long media the same way: heavy to gpu, the rest to long', () => {
    const plan = planMedia(UHD(90), PROFILES, { shortLaneMaxSec: 60, gpuLane: true });
    expect(laneQueueOf(plan, '2160p')).toBe(QueueName.Gpu);
    expect(laneQueueOf(plan, '1080p')).toBe(QueueName.Long);
    expect(laneQueueOf(plan, 'audio')).toBe(QueueName.Long);
  });
});

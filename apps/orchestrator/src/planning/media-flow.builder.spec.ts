import type { FlowJob } from 'bullmq';
import { JobName, parsePayload } from '@airlock/contracts';
import { AUDIO_RENDITION, DEFAULT_LADDER, DEFAULT_PROFILES } from '@airlock/domain';
import { FlowNode, QueueName, toFlowJob } from '@airlock/queue';
import { buildEarlyFlow, buildMediaFlow, buildPreviewFlow, earlyRenditionsOf, FlowInput, PlannedTask, rungGroups, tasksOf } from './media-flow.builder';
import { MediaPlan, planMedia } from './media-plan';
import { buildProbe } from './probe.fixture';

const MEDIA_ID = '11111111-1111-4111-8111-111111111111';
const JOB_ID = '22222222-2222-4222-8222-222222222222';

/** Deterministic v4-shaped uuids: 00000000-0000-4000-8000-000000000001, ...02, ... */
function idSequence(): () => string {
  let n = 0;
  return () => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`;
}

function planOf(durationSec = 12, withAudio = true, profiles: readonly string[] = DEFAULT_LADDER): MediaPlan {
  return planMedia(buildProbe(durationSec, withAudio), profiles, { shortLaneMaxSec: 60 });
}

function flowInput(plan: MediaPlan, tasks: readonly PlannedTask[] = tasksOf(plan, idSequence())): FlowInput {
  return { mediaId: MEDIA_ID, jobId: JOB_ID, sourceKey: `src/${MEDIA_ID}/${'a'.repeat(64)}`, durationSec: 12, plan, tasks, taskAttempts: 4, keyTtlSec: 600, outputKeyId: 'ab'.repeat(16) };
}

function walk(node: FlowNode): FlowNode[] {
  return [node, ...(node.children ?? []).flatMap(walk)];
}

/** The record steps under a verify, the early stage's included, in queue order. */
function recordsUnder(verify: FlowNode): FlowNode[] {
  return walk(verify).filter((n) => n.name === JobName.TaskRecord);
}

function onlyChild(node: FlowNode): FlowNode {
  expect(node.children).toHaveLength(1);
  return (node.children ?? [])[0];
}

describe('tasksOf', () => {
  it('lists the audio task first, then every rendition x segment, lower rungs first', () => {
    const tasks = tasksOf(planOf(), idSequence());

    expect(tasks).toHaveLength(1 + 4 * 2);
    expect(tasks[0]).toMatchObject({ kind: 'audio', segmentIndex: 0, rendition: AUDIO_RENDITION });
    expect(tasks.slice(1).map((t) => `${t.kind}:${t.rendition}:${t.segmentIndex}`)).toEqual([
      'video:240p:0',
      'video:240p:1',
      'video:360p:0',
      'video:360p:1',
      'video:720p:0',
      'video:720p:1',
      'video:1080p:0',
      'video:1080p:1',
    ]);
  });

  it('gives every task its own id from the supplier', () => {
    const ids = tasksOf(planOf(), idSequence()).map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has no audio task for a silent source', () => {
    const tasks = tasksOf(planOf(12, false), idSequence());
    expect(tasks.every((t) => t.kind === 'video')).toBe(true);
    expect(tasks).toHaveLength(8);
  });
});

describe('buildMediaFlow', () => {
  const plan = planOf();
  const input = flowInput(plan);
  const root = buildMediaFlow(input);

  it('builds publish -> manifest -> verify -> record x N -> one work job each', () => {
    expect(root.name).toBe(JobName.MediaPublish);
    const manifest = onlyChild(root);
    expect(manifest.name).toBe(JobName.ManifestWrite);
    const verify = onlyChild(manifest);
    expect(verify.name).toBe(JobName.OutputsVerify);

    const records = recordsUnder(verify);
    expect(records).toHaveLength(input.tasks.length);
    records.forEach((record, i) => {
      expect(record.name).toBe(JobName.TaskRecord);
      const work = onlyChild(record);
      expect(work.name).toBe(input.tasks[i].kind === 'audio' ? JobName.AudioTranscode : JobName.SegmentTranscode);
      expect(work.children).toBeUndefined();
    });
  });

  it('routes each stage to its queue and work to the planned lane', () => {
    const manifest = onlyChild(root);
    const verify = onlyChild(manifest);
    expect(root.queue).toBe(QueueName.Orchestrator);
    expect(manifest.queue).toBe(QueueName.Manifest);
    expect(verify.queue).toBe(QueueName.Verify);
    for (const record of recordsUnder(verify)) {
      expect(record.queue).toBe(QueueName.Orchestrator);
      expect(onlyChild(record).queue).toBe(QueueName.Short);
    }
  });

  it('sends a long plan to the long lane', () => {
    const long = planOf(90);
    expect(long.lane).toBe('long');
    const works = walk(buildMediaFlow(flowInput(long))).filter((n) => n.name === JobName.SegmentTranscode || n.name === JobName.AudioTranscode);
    expect(works.length).toBeGreaterThan(0);
    expect(new Set(works.map((n) => n.queue))).toEqual(new Set([QueueName.Long]));
  });

  it('makes every failure edge explicit', () => {
    const manifest = onlyChild(root);
    const verify = onlyChild(manifest);
    expect(root.onFailure).toBeUndefined();
    expect(manifest.onFailure).toBe('report-to-parent');
    expect(verify.onFailure).toBe('fail-parent');
    for (const record of recordsUnder(verify)) {
      expect(record.onFailure).toBe('fail-parent');
      const work = onlyChild(record);
      expect(work.onFailure).toBe('report-to-parent');
      expect(work.attempts).toBe(4);
    }
  });

  it('gives every job a unique id without BullMQ key separators', () => {
    const ids = walk(root).map((n) => n.jobId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).not.toContain(':');
    expect(root.jobId).toBe(`publish__${JOB_ID}`);
    expect(onlyChild(root).jobId).toBe(`manifest__${JOB_ID}`);
    expect(onlyChild(onlyChild(root)).jobId).toBe(`verify__${JOB_ID}`);
  });

  it('derives job ids from the task ids, so a rebuild is identical', () => {
    const again = buildMediaFlow(flowInput(planOf(), tasksOf(planOf(), idSequence())));
    expect(again).toEqual(root);

    const audioTask = input.tasks[0];
    const [audioRecord] = recordsUnder(root);
    expect(audioRecord.jobId).toBe(`record__${audioTask.id}`);
    expect(onlyChild(audioRecord).jobId).toBe(`audio__${audioTask.id}`);
    const videoTask = input.tasks[1];
    const videoRecord = recordsUnder(root)[1];
    expect(onlyChild(videoRecord).jobId).toBe(`transcode__${videoTask.id}`);
  });

  it('puts the audio task first', () => {
    const [first] = recordsUnder(root);
    expect(onlyChild(first).name).toBe(JobName.AudioTranscode);
  });

  it('carries a valid payload on every node', () => {
    for (const node of walk(root)) {
      expect(() => parsePayload(node.name, node.data)).not.toThrow();
    }
  });

  it('gives work jobs their segment, rendition and the plan fps', () => {
    const works = walk(root).filter((n) => n.name === JobName.SegmentTranscode);
    expect(works).toHaveLength(8);
    for (const node of works) {
      const data = parsePayload(JobName.SegmentTranscode, node.data);
      const task = input.tasks.find((t) => t.id === data.taskId);
      expect(task).toBeDefined();
      expect(data.segment).toEqual(plan.segments[task?.segmentIndex ?? -1]);
      expect(data.rendition).toEqual(plan.renditions.find((r) => r.name === task?.rendition));
      expect(data.fps).toEqual(plan.fps);
      expect(data).toMatchObject({ mediaId: MEDIA_ID, jobId: JOB_ID, sourceKey: input.sourceKey });
    }
    const audio = parsePayload(JobName.AudioTranscode, walk(root).find((n) => n.name === JobName.AudioTranscode)?.data);
    expect(audio).toMatchObject({ mediaId: MEDIA_ID, jobId: JOB_ID, sourceKey: input.sourceKey, durationSec: 12 });
  });

  it('tells the verifier what to expect', () => {
    const verify = parsePayload(JobName.OutputsVerify, onlyChild(onlyChild(root)).data);
    expect(verify.expected).toEqual({ renditions: ['240p', '360p', '720p', '1080p'], segments: plan.segments, audio: true, keyId: 'ab'.repeat(16), files: [] });
    expect(parsePayload(JobName.ManifestWrite, onlyChild(root).data)).toEqual({ mediaId: MEDIA_ID, jobId: JOB_ID, version: JOB_ID });
  });

  it('refuses a task whose segment or rendition is not in the plan', () => {
    const segmentless: PlannedTask = { id: '00000000-0000-4000-8000-0000000000ff', kind: 'video', segmentIndex: 9, rendition: '720p' };
    expect(() => buildMediaFlow(flowInput(plan, [segmentless]))).toThrow('plan has no segment 9');
    const unplanned: PlannedTask = { ...segmentless, segmentIndex: 0, rendition: '2160p' };
    expect(() => buildMediaFlow(flowInput(plan, [unplanned]))).toThrow('plan has no rendition 2160p');
  });

  it('builds an audio-only flow', () => {
    const audioOnly = planMedia({ ...buildProbe(12), video: undefined }, [], { shortLaneMaxSec: 60 });
    const flow = buildMediaFlow(flowInput(audioOnly));
    const works = walk(flow).filter((n) => n.name === JobName.AudioTranscode || n.name === JobName.SegmentTranscode);
    expect(works.map((n) => n.name)).toEqual([JobName.AudioTranscode]);
  });
});

describe('toFlowJob on the media flow', () => {
  const root = buildMediaFlow(flowInput(planOf()));
  const job = toFlowJob(root);

  function walkJobs(j: FlowJob): FlowJob[] {
    return [j, ...(j.children ?? []).flatMap(walkJobs)];
  }

  it('maps failure edges to BullMQ options', () => {
    const manifest = (job.children ?? [])[0];
    const verify = (manifest.children ?? [])[0];
    expect(job.opts?.failParentOnFailure).toBeUndefined();
    expect(job.opts?.ignoreDependencyOnFailure).toBeUndefined();
    expect(manifest.opts).toMatchObject({ ignoreDependencyOnFailure: true });
    expect(manifest.opts?.failParentOnFailure).toBeUndefined();
    expect(verify.opts).toMatchObject({ failParentOnFailure: true });
    expect(verify.opts?.ignoreDependencyOnFailure).toBeUndefined();
    for (const record of walkJobs(verify).filter((j) => j.name === JobName.TaskRecord)) {
      expect(record.opts).toMatchObject({ failParentOnFailure: true });
      const [work] = record.children ?? [];
      expect(work.opts).toMatchObject({ ignoreDependencyOnFailure: true, attempts: 4 });
      expect(work.opts?.failParentOnFailure).toBeUndefined();
    }
  });

  it('keeps names, queues, ids and data', () => {
    const nodes = walk(root);
    const jobs = walkJobs(job);
    expect(jobs).toHaveLength(nodes.length);
    jobs.forEach((j, i) => {
      expect(j.name).toBe(nodes[i].name);
      expect(j.queueName).toBe(nodes[i].queue);
      expect(j.opts?.jobId).toBe(nodes[i].jobId);
      expect(j.data).toBe(nodes[i].data);
    });
  });

  it('rejects a node with an invalid payload before anything is enqueued', () => {
    const bad: FlowNode = { ...root, data: { mediaId: 'not-a-uuid', jobId: JOB_ID } };
    expect(() => toFlowJob(bad)).toThrow();
  });
});

describe('rung groups (GROUP_RUNGS)', () => {
  const plan = planMedia(buildProbe(12, true), DEFAULT_LADDER, { shortLaneMaxSec: 60, groupRungs: true });
  const input = flowInput(plan);
  const root = buildMediaFlow(input);
  const verify = onlyChild(onlyChild(root));
  const renditionOf = (id: string) => input.tasks.find((t) => t.id === id)?.rendition;

  it("encodes each segment's rungs above the lowest in one work job, each rung still its own task", () => {
    expect(plan.groupRungs).toBe(true);
    const groups = (verify.children ?? []).filter((n) => n.name === JobName.TaskGroupRecord);
    expect(groups).toHaveLength(plan.segments.length);
    for (const [s, group] of groups.entries()) {
      const { taskIds } = parsePayload(JobName.TaskGroupRecord, group.data);
      expect(taskIds.map(renditionOf)).toEqual(['360p', '720p', '1080p']);
      expect(group.onFailure).toBe('fail-parent');
      const work = onlyChild(group);
      expect(work).toMatchObject({ name: JobName.SegmentGroupTranscode, queue: QueueName.Short, onFailure: 'report-to-parent', attempts: 4 });
      const data = parsePayload(JobName.SegmentGroupTranscode, work.data);
      expect(data.segment).toEqual(plan.segments[s]);
      expect(data.tasks.map((t) => [t.taskId, t.rendition.name])).toEqual(taskIds.map((id) => [id, renditionOf(id)]));
    }
  });

  it('keeps audio and the lowest rung on their own, first in the queue, and every task under the verify exactly once', () => {
    const order = (verify.children ?? []).map((n) => (n.name === JobName.TaskRecord ? renditionOf((n.data as { taskId: string }).taskId) : 'group'));
    expect(order).toEqual([AUDIO_RENDITION, '240p', '240p', 'group', 'group']);
    const covered = (verify.children ?? []).flatMap((n) => (n.name === JobName.TaskGroupRecord ? (n.data as { taskIds: string[] }).taskIds : [(n.data as { taskId: string }).taskId]));
    expect([...covered].sort()).toEqual(input.tasks.map((t) => t.id).sort());
  });

  it('leaves out duplicates and the slots they sample, done tasks, and a plan without GROUP_RUNGS', () => {
    const tasks = input.tasks.map((t) => (t.rendition === '720p' && t.segmentIndex === 0 ? { ...t, done: true } : t));
    const twin: PlannedTask = { id: '00000000-0000-4000-8000-0000000000aa', kind: 'video', segmentIndex: 1, rendition: '1080p', role: 'duplicate' };
    const groups = rungGroups(plan, [...tasks, twin]);
    expect(groups.map((g) => g.map((t) => `${t.segmentIndex}/${t.rendition}`))).toEqual([
      ['0/360p', '0/1080p'],
      ['1/360p', '1/720p'],
    ]);
    expect(rungGroups(planOf(), input.tasks)).toEqual([]);
  });
});

describe('buildEarlyFlow', () => {
  const plan = planOf();
  const input = flowInput(plan);

  it("names the early stage on its tasks' ladder records only, so the record that counts the last of them queues it", () => {
    const verify = onlyChild(onlyChild(buildMediaFlow(input)));
    const named = recordsUnder(verify).map((record) => {
      const { taskId, earlyStage } = parsePayload(JobName.TaskRecord, record.data);
      return [input.tasks.find((t) => t.id === taskId)?.rendition, earlyStage];
    });
    expect(named).toHaveLength(input.tasks.length);
    for (const [rendition, earlyStage] of named) expect(earlyStage).toEqual(rendition === '240p' || rendition === AUDIO_RENDITION ? ['240p', AUDIO_RENDITION] : undefined);
  });

  it('publishes the lowest rung and audio from their recorded reports, in their own stages', () => {
    expect(earlyRenditionsOf(plan)).toEqual(['240p', AUDIO_RENDITION]);
    const root = buildEarlyFlow(input) as FlowNode;
    expect(root).toMatchObject({ name: JobName.EarlyPublish, queue: QueueName.Orchestrator, jobId: `early-publish__${JOB_ID}` });
    expect(root.onFailure).toBeUndefined();
    expect(parsePayload(JobName.EarlyPublish, root.data)).toEqual({ mediaId: MEDIA_ID, jobId: JOB_ID, renditions: ['240p', AUDIO_RENDITION] });
    const manifest = onlyChild(root);
    expect(manifest).toMatchObject({ name: JobName.ManifestWrite, data: { version: `${JOB_ID}-early` }, onFailure: 'report-to-parent' });
    const verify = onlyChild(manifest);
    expect(verify).toMatchObject({ jobId: `early-verify__${JOB_ID}`, onFailure: 'fail-parent' });
    expect(parsePayload(JobName.OutputsVerify, verify.data).expected).toEqual({ renditions: ['240p'], segments: plan.segments, audio: true, keyId: 'ab'.repeat(16) });
    // Its records run no work (they answer with the stored report) and never clash with the ladder's.
    const early = input.tasks.filter((t) => t.rendition === '240p' || t.rendition === AUDIO_RENDITION);
    expect((verify.children ?? []).map((r) => [r.name, r.jobId, r.children])).toEqual(early.map((t) => [JobName.TaskRecord, `early-record__${t.id}`, []]));
    for (const node of walk(root)) expect(() => parsePayload(node.name, node.data)).not.toThrow();
  });

  it('whose work the ladder queues first: audio, then the lowest rung, then the higher rungs', () => {
    const renditions = recordsUnder(buildMediaFlow(input)).map((r) => input.tasks.find((t) => t.id === (r.data as { taskId: string }).taskId)?.rendition);
    expect(renditions.slice(0, 3)).toEqual([AUDIO_RENDITION, '240p', '240p']);
  });

  it('has none when the ladder is a single rung, or only audio', () => {
    expect(buildEarlyFlow(flowInput(planOf(12, true, ['240p'])))).toBeUndefined();
    const audioOnly = planMedia({ ...buildProbe(12), video: undefined }, [], { shortLaneMaxSec: 60 });
    expect(buildEarlyFlow(flowInput(audioOnly))).toBeUndefined();
    expect(earlyRenditionsOf({ renditions: plan.renditions, audio: false })).toEqual(['240p']);
  });
});

describe('buildPreviewFlow', () => {
  const plan = planOf(40, true, DEFAULT_PROFILES);
  const input = flowInput(plan);

  it('plans a muted 360p preview on its own grid of short chunks over the first 6 s, at the fastest preset, its tasks first', () => {
    expect(plan.preview?.rendition).toEqual({ name: 'preview_360p', codec: 'h264', bitrateKbps: 600, hdr: false, speed: 'fastest', width: 640, height: 360 });
    const chunks = plan.preview?.segments ?? [];
    expect(chunks[0]?.startSec).toBe(0);
    expect(chunks.reduce((sum, c) => sum + c.durationSec, 0)).toBeCloseTo(6, 5);
    expect(chunks.map((c) => c.durationSec)).toEqual([3, 3]);
    const previewTasks = input.tasks.filter((t) => t.rendition === 'preview_360p');
    expect(input.tasks.slice(0, previewTasks.length)).toEqual(previewTasks);
  });

  it('runs the same stages over the preview tasks only, ending in its own publish, silent', () => {
    const root = buildPreviewFlow(input);
    expect(root).toMatchObject({ name: JobName.PreviewPublish, queue: QueueName.Orchestrator, jobId: `preview-publish__${JOB_ID}` });
    const manifest = onlyChild(root as FlowNode);
    expect(manifest).toMatchObject({ name: JobName.ManifestWrite, data: { version: `${JOB_ID}-preview` }, onFailure: 'report-to-parent' });
    const verify = onlyChild(manifest);
    expect(verify.data).toMatchObject({ expected: { renditions: ['preview_360p'], audio: false, segments: plan.preview?.segments } });
    const work = (verify.children ?? []).map(onlyChild);
    expect(work.map((w) => (w.data as { rendition: { name: string } }).rendition.name)).toEqual(plan.preview?.segments.map(() => 'preview_360p'));
    // Each chunk's work carries the preview's own segment, not the ladder's of the same index.
    expect(work.map((w) => (w.data as { segment: unknown }).segment)).toEqual(plan.preview?.segments);
    for (const node of walk(root as FlowNode)) expect(() => parsePayload(node.name, node.data)).not.toThrow();
  });

  it('leaves the preview out of the ladder flow, and builds none when no preview was asked for', () => {
    const ladder = walk(buildMediaFlow(input)).filter((n) => n.name === JobName.SegmentTranscode);
    expect(ladder.some((n) => (n.data as { rendition: { name: string } }).rendition.name === 'preview_360p')).toBe(false);
    expect(ladder).toHaveLength(plan.renditions.length * plan.segments.length);
    expect(buildPreviewFlow(flowInput(planOf()))).toBeUndefined();
  });
});

describe('chat files in the flow', () => {
  const plan = planOf(12, true, DEFAULT_PROFILES);
  const input = flowInput(plan);

  it('plans each chat file at its size for the source', () => {
    expect(plan.files).toEqual([
      { name: 'poster', width: 854, height: 480 },
      { name: 'animated_preview', width: 426, height: 240 },
      { name: 'mobile_mp4_720p', width: 1280, height: 720 },
    ]);
    expect(plan.skipped).toEqual([]);
  });

  it('queues the cheap files before the ladder and the whole-file MP4 after it', () => {
    const order = input.tasks.map((t) => t.rendition);
    expect(order.indexOf('poster')).toBeLessThan(order.indexOf('240p'));
    expect(order.indexOf('animated_preview')).toBeLessThan(order.indexOf('240p'));
    expect(order[order.length - 1]).toBe('mobile_mp4_720p');
  });

  it('gives each file one task under the ladder verify, which expects every file', () => {
    const root = buildMediaFlow(input);
    const verify = onlyChild(onlyChild(root));
    expect(parsePayload(JobName.OutputsVerify, verify.data).expected.files).toEqual(['poster', 'animated_preview', 'mobile_mp4_720p']);
    const files = walk(root).filter((n) => n.name === JobName.FileTranscode);
    expect(files.map((n) => parsePayload(JobName.FileTranscode, n.data)).map((d) => [d.profile, d.width, d.height])).toEqual([
      ['poster', 854, 480],
      ['animated_preview', 426, 240],
      ['mobile_mp4_720p', 1280, 720],
    ]);
  });
});

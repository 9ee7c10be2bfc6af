import { createHash, randomUUID } from 'node:crypto';
import { ManifestResult, manifestResultSchema, MEDIA_FINISHED, OutputFact } from '@airlock/contracts';
import { MediaState, PrismaClient } from '@airlock/db';
import { AUDIO_RENDITION } from '@airlock/domain';
import { JobContext } from '@airlock/queue';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { EarlyHandler } from './early.handler';
import { PreviewHandler } from './preview.handler';
import { FlowRebuilder } from '../recovery/flow-rebuilder';
import { PublishHandler } from './publish.handler';

/**
 * PublishHandler on a real Postgres schema: output pointers are written once, the media
 * flips verifying -> ready once, and nothing brings a deleted media back.
 */

/** Wrapped-key placeholders, written only when the schema has those columns. */
const SEGMENTS = 2;
const TIMESCALE = 90_000;

interface Seeded {
  readonly mediaId: string;
  readonly jobId: string;
  readonly videoTaskIds: readonly string[];
  readonly audioTaskId: string;
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function fact(mediaId: string, rendition: string, segmentIndex: number): OutputFact {
  const init = segmentIndex < 0;
  return {
    kind: init ? 'init' : 'media',
    rendition,
    segmentIndex,
    key: `media/${mediaId}/${rendition}/${init ? 'init.mp4' : `seg-${segmentIndex}.m4s`}`,
    sha256: sha(`${mediaId}/${rendition}/${segmentIndex}`),
    sizeBytes: init ? 900 : 250_000,
    timescale: TIMESCALE,
    baseDecodeTime: init ? 0 : segmentIndex * 4 * TIMESCALE,
    duration: init ? 0 : 4 * TIMESCALE,
    sampleCount: init ? 0 : 120,
  };
}

/** What the manifester hands publish: 360p init + 2 segments, audio init + 1 segment. */
function manifestFor(mediaId: string, jobId: string): ManifestResult {
  return manifestResultSchema.parse({
    ok: true,
    version: jobId,
    hlsKey: `media/${mediaId}/${jobId}/master.m3u8`,
    dashKey: `media/${mediaId}/${jobId}/manifest.mpd`,
    outputs: [
      fact(mediaId, '360p', -1),
      ...Array.from({ length: SEGMENTS }, (_, i) => fact(mediaId, '360p', i)),
      fact(mediaId, AUDIO_RENDITION, -1),
      fact(mediaId, AUDIO_RENDITION, 0),
    ],
    renditions: ['360p', AUDIO_RENDITION],
  });
}

function contextOf(children: unknown[], failed: Record<string, string> = {}): JobContext {
  return {
    jobId: `publish__${randomUUID()}`,
    queue: 'orchestrator',
    attempt: 1,
    maxAttempts: 5,
    childrenValues: async <T>() => children as T[],
    failedChildren: async () => failed,
  };
}

describe('PublishHandler on a real database', () => {
  let env: IntegrationEnv;
  let db: PrismaClient;
  const publisher = () => new PublishHandler(db, env.store, new FlowRebuilder(db, env.queues, { taskAttempts: 3 }));
  const tenantId = `tenant-${randomUUID()}`;

  async function seed(mediaState: MediaState = 'verifying'): Promise<Seeded> {
    const media = await db.media.create({ data: mediaRow(tenantId, mediaState) });
    const job = await db.job.create({
      data: { mediaId: media.id, state: 'packaging', lane: 'short', tasksTotal: SEGMENTS + 1, tasksSucceeded: SEGMENTS + 1 },
    });
    const videoTaskIds = Array.from({ length: SEGMENTS }, () => randomUUID());
    const audioTaskId = randomUUID();
    await db.task.createMany({
      data: [
        { id: audioTaskId, jobId: job.id, kind: 'audio' as const, segmentIndex: 0, rendition: AUDIO_RENDITION, lane: 'short', state: 'succeeded' as const },
        ...videoTaskIds.map((id, i) => ({ id, jobId: job.id, kind: 'video' as const, segmentIndex: i, rendition: '360p', lane: 'short', state: 'succeeded' as const })),
      ],
    });
    return { mediaId: media.id, jobId: job.id, videoTaskIds, audioTaskId };
  }

  async function eventsTo(mediaId: string, state: MediaState) {
    return db.event.findMany({ where: { mediaId, toState: state } });
  }

  beforeAll(async () => {
    env = await startIntegrationEnv('publish-handler');
    db = env.db;
    await db.tenant.create({ data: { id: tenantId, name: 'Publish handler tests', apiKeyHash: sha(tenantId) } });
  });

  afterAll(async () => {
    await env?.close();
  });

  it('publishes once: one row per output key, verifying -> ready once, even when run twice', async () => {
    const { mediaId, jobId, videoTaskIds, audioTaskId } = await seed();
    const handler = publisher();
    const manifest = manifestFor(mediaId, jobId);
    if (!manifest.ok) throw new Error('fixture must be a successful manifest');

    await expect(handler.handle({ mediaId, jobId }, contextOf([manifest]))).resolves.toEqual({ outcome: 'ready' });
    await expect(handler.handle({ mediaId, jobId }, contextOf([manifest]))).resolves.toEqual({ outcome: 'not_published' });

    expect(await db.media.findUniqueOrThrow({ where: { id: mediaId } })).toMatchObject({
      state: 'ready',
      manifestHlsKey: manifest.hlsKey,
      manifestDashKey: manifest.dashKey,
    });
    expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).state).toBe('published');
    const ready = await eventsTo(mediaId, 'ready');
    expect(ready).toHaveLength(1);
    expect(ready[0]).toMatchObject({ jobId, fromState: 'verifying', reason: 'published', data: { renditions: ['360p', AUDIO_RENDITION], outputs: 5 } });

    const outputs = await db.output.findMany({ where: { mediaId }, orderBy: { key: 'asc' } });
    expect(outputs.map((o) => o.key)).toEqual(manifest.outputs.map((o) => o.key).sort());
    const byKey = new Map(outputs.map((o) => [o.key, o]));
    for (const o of manifest.outputs) {
      const row = byKey.get(o.key);
      const owner = o.rendition === AUDIO_RENDITION ? audioTaskId : o.kind === 'init' ? null : videoTaskIds[o.segmentIndex];
      expect(row).toMatchObject({
        kind: o.kind,
        rendition: o.rendition,
        segmentIndex: o.segmentIndex,
        sha256: o.sha256,
        sizeBytes: BigInt(o.sizeBytes),
        taskId: owner,
        durationSec: o.kind === 'media' ? 4 : null,
      });
    }
  });

  it('publishes once when two deliveries run at the same time', async () => {
    const { mediaId, jobId } = await seed();
    const manifest = manifestFor(mediaId, jobId);
    const outcomes = await Promise.all([publisher(), publisher()].map((h) => h.handle({ mediaId, jobId }, contextOf([manifest]))));

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['not_published', 'ready']);
    expect(await eventsTo(mediaId, 'ready')).toHaveLength(1);
    expect(await db.output.count({ where: { mediaId } })).toBe(manifest.ok ? manifest.outputs.length : -1);
  });

  it('does not resurrect a media that was deleted meanwhile', async () => {
    const { mediaId, jobId } = await seed('deleted');
    const manifest = manifestFor(mediaId, jobId);

    await expect(publisher().handle({ mediaId, jobId }, contextOf([manifest]))).resolves.toEqual({ outcome: 'not_published' });

    expect(await db.media.findUniqueOrThrow({ where: { id: mediaId } })).toMatchObject({ state: 'deleted', manifestHlsKey: null, manifestDashKey: null });
    expect(await eventsTo(mediaId, 'ready')).toHaveLength(0);
  });

  it('writes no output pointers and does not mark the job published for a deleted media', async () => {
    const { mediaId, jobId } = await seed('deleted');
    await publisher().handle({ mediaId, jobId }, contextOf([manifestFor(mediaId, jobId)]));

    expect(await db.output.count({ where: { mediaId } })).toBe(0);
    expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).state).not.toBe('published');
  });

  it('changes nothing when it arrives after the media finished (ready, failed, deleted), even with a failed stage', async () => {
    for (const state of ['ready', 'failed_terminal', 'failed_retryable', 'deleted'] as const) {
      const { mediaId, jobId } = await seed(state);
      const before = await db.media.findUniqueOrThrow({ where: { id: mediaId } });
      await expect(publisher().handle({ mediaId, jobId }, contextOf([], { 'manifest__x': 'child verify__x failed' }))).resolves.toEqual({ outcome: 'not_published' });
      const rejected: ManifestResult = { ok: false, code: 'outputs_rejected', message: '1 check(s) failed', rejected: [{ taskId: randomUUID(), attemptId: randomUUID(), workerId: 'w', reasons: ['hash_mismatch'], quarantine: true }] };
      await expect(publisher().handle({ mediaId, jobId }, contextOf([rejected]))).resolves.toEqual({ outcome: 'not_published' });
      expect([state, await db.media.findUniqueOrThrow({ where: { id: mediaId } })]).toEqual([state, before]);
      expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).state).toBe('packaging');
    }
  });

  it('fails the media as retryable when the manifest stage failed', async () => {
    const { mediaId, jobId } = await seed();
    const outcome = await publisher().handle({ mediaId, jobId }, contextOf([], { 'manifest__x': 'child verify__x failed' }));

    expect(outcome).toEqual({ outcome: 'stage_failed' });
    expect(await db.media.findUniqueOrThrow({ where: { id: mediaId } })).toMatchObject({ state: 'failed_retryable', failureCode: 'stage_failed' });
    expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).state).toBe('failed');
    expect(await db.output.count({ where: { mediaId } })).toBe(0);
  });

  it('fails the media terminally when the manifester reports a failed verification', async () => {
    const { mediaId, jobId } = await seed();
    const result: ManifestResult = { ok: false, code: 'verification_failed', message: '360p segment 1 is missing' };
    const outcome = await publisher().handle({ mediaId, jobId }, contextOf([result]));

    expect(outcome).toEqual({ outcome: 'verification_failed' });
    const media = await db.media.findUniqueOrThrow({ where: { id: mediaId } });
    expect(media).toMatchObject({ state: 'failed_terminal', failureCode: 'verification_failed' });
    expect(media.failureMessage).toContain('360p segment 1 is missing');
    expect((await db.job.findUniqueOrThrow({ where: { id: jobId } })).state).toBe('failed');
  });

  describe('the preview sub-flow', () => {
    it('moves processing -> preview_ready once, with the preview pointers, and a repeat changes nothing', async () => {
      const { mediaId, jobId } = await seed('processing');
      const preview = new PreviewHandler(db);
      const manifest = manifestFor(mediaId, `${jobId}-preview`);
      await expect(preview.handle({ mediaId, jobId }, contextOf([manifest]))).resolves.toEqual({ outcome: 'preview_ready' });
      await expect(preview.handle({ mediaId, jobId }, contextOf([manifest]))).resolves.toEqual({ outcome: 'preview_ready' });
      const media = await db.media.findUniqueOrThrow({ where: { id: mediaId } });
      expect(media).toMatchObject({ state: 'preview_ready', previewHlsKey: manifest.ok ? manifest.hlsKey : '', manifestHlsKey: null });
      expect(await eventsTo(mediaId, 'preview_ready')).toHaveLength(1);
      expect(await db.output.count({ where: { mediaId } })).toBe(5);
    });

    it('is a no-op once the ladder is ready: a preview verified late, or lost, writes nothing and leaves no dead letter', async () => {
      const ready = await seed('ready');
      const before = await db.media.findUniqueOrThrow({ where: { id: ready.mediaId } });
      const eventsBefore = await db.event.count({ where: { mediaId: ready.mediaId } });
      const preview = new PreviewHandler(db);
      await expect(preview.handle({ mediaId: ready.mediaId, jobId: ready.jobId }, contextOf([manifestFor(ready.mediaId, ready.jobId)]))).resolves.toEqual({ outcome: 'not_published' });
      // Lost: its verify failed (a killed verifier's job, given up) after the media was ready.
      await expect(preview.handle({ mediaId: ready.mediaId, jobId: ready.jobId }, contextOf([], { 'manifest:1': 'child verify:1 failed' }))).resolves.toEqual({ outcome: 'not_published' });
      // The verifier's answer for a media it found finished, passed up by the manifester.
      const finished: ManifestResult = { ok: false, code: MEDIA_FINISHED, message: 'the media is ready: nothing to verify' };
      await expect(preview.handle({ mediaId: ready.mediaId, jobId: ready.jobId }, contextOf([finished]))).resolves.toEqual({ outcome: 'not_published' });

      expect(await db.media.findUniqueOrThrow({ where: { id: ready.mediaId } })).toEqual(before);
      expect(await db.event.count({ where: { mediaId: ready.mediaId } })).toBe(eventsBefore);
      expect(await db.output.count({ where: { mediaId: ready.mediaId } })).toBe(0);
      expect(await env.queues.deadLetterDepth()).toBe(0);

      const deleted = await seed('deleted');
      await expect(new PreviewHandler(db).handle({ mediaId: deleted.mediaId, jobId: deleted.jobId }, contextOf([manifestFor(deleted.mediaId, deleted.jobId)]))).resolves.toEqual({
        outcome: 'not_published',
      });
      expect(await db.media.findUniqueOrThrow({ where: { id: deleted.mediaId } })).toMatchObject({ state: 'deleted', previewHlsKey: null });
      expect(await db.output.count({ where: { mediaId: deleted.mediaId } })).toBe(0);
    });

    it('records a failed preview and leaves the media to the ladder', async () => {
      const { mediaId, jobId } = await seed('processing');
      const failed = await new PreviewHandler(db).handle({ mediaId, jobId }, contextOf([], { 'verify:1': 'verification failed' }));
      expect(failed).toEqual({ outcome: 'preview_failed' });
      expect((await db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).toBe('processing');
      expect(await db.event.count({ where: { mediaId, type: 'preview_failed', reason: 'stage_failed' } })).toBe(1);
    });
  });

  describe('the early stage', () => {
    const renditions = ['360p', AUDIO_RENDITION];

    it('points at the early manifests once verified, and a repeat changes nothing', async () => {
      const { mediaId, jobId } = await seed('preview_ready');
      const manifest = manifestFor(mediaId, `${jobId}-early`);
      const early = new EarlyHandler(db);
      await expect(early.handle({ mediaId, jobId, renditions }, contextOf([manifest]))).resolves.toEqual({ outcome: 'early_published' });
      await expect(early.handle({ mediaId, jobId, renditions }, contextOf([manifest]))).resolves.toEqual({ outcome: 'early_published' });
      const media = await db.media.findUniqueOrThrow({ where: { id: mediaId } });
      expect(media).toMatchObject({ state: 'preview_ready', earlyHlsKey: manifest.ok ? manifest.hlsKey : '', earlyRenditions: renditions, manifestHlsKey: null });
      expect(await db.output.count({ where: { mediaId } })).toBe(5);
    });

    it('records a refused early stage and leaves the media to the ladder', async () => {
      const { mediaId, jobId } = await seed('processing');
      const refused: ManifestResult = { ok: false, code: 'outputs_rejected', message: '1 check(s) failed', rejected: [] };
      await expect(new EarlyHandler(db).handle({ mediaId, jobId, renditions }, contextOf([refused]))).resolves.toEqual({ outcome: 'early_failed' });
      expect(await db.media.findUniqueOrThrow({ where: { id: mediaId } })).toMatchObject({ state: 'processing', earlyHlsKey: null });
      expect(await db.event.count({ where: { mediaId, type: 'early_failed', reason: 'outputs_rejected' } })).toBe(1);
    });

    it('never points a deleted media at it, nor a media whose ladder was ready first (a late stage is a no-op)', async () => {
      const deleted = await seed('deleted');
      await expect(new EarlyHandler(db).handle({ mediaId: deleted.mediaId, jobId: deleted.jobId, renditions }, contextOf([manifestFor(deleted.mediaId, deleted.jobId)]))).resolves.toEqual({ outcome: 'not_published' });
      expect(await db.media.findUniqueOrThrow({ where: { id: deleted.mediaId } })).toMatchObject({ earlyHlsKey: null });
      expect(await db.output.count({ where: { mediaId: deleted.mediaId } })).toBe(0);

      const ready = await seed('ready');
      const eventsBefore = await db.event.count({ where: { mediaId: ready.mediaId } });
      await expect(new EarlyHandler(db).handle({ mediaId: ready.mediaId, jobId: ready.jobId, renditions }, contextOf([manifestFor(ready.mediaId, ready.jobId)]))).resolves.toEqual({ outcome: 'not_published' });
      await expect(new EarlyHandler(db).handle({ mediaId: ready.mediaId, jobId: ready.jobId, renditions }, contextOf([], { 'manifest:1': 'failed' }))).resolves.toEqual({ outcome: 'not_published' });
      expect(await db.media.findUniqueOrThrow({ where: { id: ready.mediaId } })).toMatchObject({ state: 'ready', earlyHlsKey: null });
      expect(await db.event.count({ where: { mediaId: ready.mediaId } })).toBe(eventsBefore);
      expect(await db.output.count({ where: { mediaId: ready.mediaId } })).toBe(0);
    });
  });
});

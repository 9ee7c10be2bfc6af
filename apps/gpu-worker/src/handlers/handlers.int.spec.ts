import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  JobName,
  type OutputFact,
  type PayloadOf,
  type RenditionSpec,
  type SegmentSpec,
  type TaskReport,
  parsePayload,
  taskReportSchema,
} from '@airlock/contracts';
import { AUDIO_RENDITION, storageKeys } from '@airlock/domain';
import { ProcessError, countVideoFrames, encoderBuild } from '@airlock/media';
import { type JobContext, QueueName } from '@airlock/queue';
import { sha256File } from '@airlock/storage';
import { type IntegrationEnv, makeClip, startIntegrationEnv, textFile, truncateCopy } from '@airlock/testing';
import { wipeTempRoot } from '../attempt/attempt-workspace';
import { OutputUploader } from '../output/output-uploader';
import { AudioHandler } from './audio.handler';
import { ProbeHandler } from './probe.handler';
import { SegmentHandler } from './segment.handler';
import type { WorkerDeps } from './worker-deps';

/**
 * The worker handlers end to end on real tools: s3rver behind ObjectStore, ffmpeg/ffprobe and
 * the shaka packager. Nothing is mocked; each handler downloads its source from the bucket,
 * works in a private attempt directory, uploads content-addressed outputs and cleans up.
 */

const FPS = { num: 30, den: 1 };
const R240: RenditionSpec = { name: '240p', codec: 'h264', width: 426, height: 240, bitrateKbps: 400, hdr: false };
const SEG0: SegmentSpec = { index: 0, startFrame: 0, frameCount: 120, startSec: 0, durationSec: 4, gopAligned: true };
const SEG1: SegmentSpec = { index: 1, startFrame: 120, frameCount: 120, startSec: 4, durationSec: 4, gopAligned: true };
const SHA256 = /^[0-9a-f]{64}$/;

/** What WorkerHost hands a handler on a first try; nothing here uses flow children. */
function jobContext(overrides: Partial<Pick<JobContext, 'attempt' | 'maxAttempts' | 'queue'>> = {}): JobContext {
  return {
    jobId: randomUUID(),
    queue: QueueName.Short,
    attempt: 1,
    maxAttempts: 3,
    childrenValues: <T>() => Promise.resolve<T[]>([]),
    failedChildren: () => Promise.resolve({}),
    ...overrides,
  };
}

describe('gpu-worker handlers (s3rver + ffmpeg + packager)', () => {
  let env: IntegrationEnv;
  let deps: WorkerDeps;
  let tempRoot: string;
  let fixtures: string;
  const mediaId = randomUUID();
  const jobId = randomUUID();
  /** Source keys (src/<media>/<sha256>) of the uploaded fixtures. */
  const keys = { clip: '', text: '', truncated: '', mismatched: '' };
  let clipSize = 0;

  const probePayload = (sourceKey: string): PayloadOf<typeof JobName.MediaProbe> =>
    parsePayload(JobName.MediaProbe, { mediaId, jobId, taskId: randomUUID(), sourceKey });

  const segmentPayload = (sourceKey: string, segment: SegmentSpec = SEG1, rendition: RenditionSpec = R240): PayloadOf<typeof JobName.SegmentTranscode> =>
    parsePayload(JobName.SegmentTranscode, { mediaId, jobId, taskId: randomUUID(), sourceKey, fps: FPS, segment, rendition });

  const audioPayload = (sourceKey: string): PayloadOf<typeof JobName.AudioTranscode> =>
    parsePayload(JobName.AudioTranscode, { mediaId, jobId, taskId: randomUUID(), sourceKey, durationSec: 8 });

  /** Uploads a local file as a source object under its own content hash. */
  async function putSource(file: string): Promise<string> {
    const key = storageKeys.source(mediaId, await sha256File(file));
    await env.store.putFile(key, file, 'application/octet-stream');
    return key;
  }

  async function expectTempRootEmpty(): Promise<void> {
    expect(await readdir(tempRoot)).toEqual([]);
  }

  /** Every output exists in the bucket with exactly the reported size and hash. */
  async function expectStored(outputs: readonly OutputFact[]): Promise<void> {
    for (const out of outputs) {
      expect(await env.store.stat(out.key)).toEqual({ key: out.key, size: out.sizeBytes });
      expect(await env.store.sha256(out.key)).toBe(out.sha256);
    }
  }

  function split(report: TaskReport): { init: OutputFact; media: OutputFact[] } {
    const inits = report.outputs.filter((o) => o.kind === 'init');
    expect(inits).toHaveLength(1);
    return { init: inits[0], media: report.outputs.filter((o) => o.kind === 'media') };
  }

  beforeAll(async () => {
    env = await startIntegrationEnv('gpuworker');
    fixtures = join(env.tmp, 'fixtures');
    await mkdir(fixtures, { recursive: true });
    tempRoot = join(env.tmp, 'worker');
    // As main.ts does at boot: the root exists (0700) and is empty before the first attempt.
    await wipeTempRoot(tempRoot);

    const clip = await makeClip(fixtures, 'clip.mp4', { width: 640, height: 360, seconds: 8, audio: true });
    clipSize = (await stat(clip)).size;
    keys.clip = await putSource(clip);
    keys.text = await putSource(textFile(join(fixtures, 'notes.mp4')));
    keys.truncated = await putSource(truncateCopy(clip, join(fixtures, 'cut.mp4'), 0.4));
    // The clip's bytes under a key that declares the hash of some other content.
    keys.mismatched = storageKeys.source(mediaId, createHash('sha256').update('what the client claimed').digest('hex'));
    await env.store.putFile(keys.mismatched, clip);
    expect(new Set(Object.values(keys)).size).toBe(4);

    deps = {
      store: env.store,
      uploader: new OutputUploader(env.store),
      workerId: 'gpu-worker-int-spec',
      tempRoot,
      ffmpegTimeoutMs: 120_000,
      encoderBuild: await encoderBuild(),
    };
  });

  afterAll(async () => {
    await env?.close();
  });

  describe('ProbeHandler', () => {
    let probe: ProbeHandler;
    beforeAll(() => {
      probe = new ProbeHandler(deps);
    });

    it('describes the uploaded clip, keyframes every 2 s included', async () => {
      const outcome = await probe.handle(probePayload(keys.clip), jobContext());
      if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
      expect(outcome.probe.sizeBytes).toBe(clipSize);
      expect(outcome.probe.durationSec).toBeCloseTo(8, 1);
      expect(outcome.probe.video).toMatchObject({
        codec: 'h264',
        width: 640,
        height: 360,
        fps: FPS,
        frameCount: 240,
        hdr: 'none',
        keyframeTimes: [0, 2, 4, 6],
      });
      expect(outcome.probe.audio).toMatchObject({ codec: 'aac', sampleRate: 48000 });
      await expectTempRootEmpty();
    });

    it('rejects bytes that do not match the sha256 in the source key', async () => {
      const outcome = await probe.handle(probePayload(keys.mismatched), jobContext());
      expect(outcome).toMatchObject({ ok: false, code: 'source_mismatch' });
      await expectTempRootEmpty();
    });

    it('rejects a text file as not_media', async () => {
      const outcome = await probe.handle(probePayload(keys.text), jobContext());
      expect(outcome).toMatchObject({ ok: false, code: 'not_media' });
      await expectTempRootEmpty();
    });

    it('rejects a truncated upload as truncated_media', async () => {
      const outcome = await probe.handle(probePayload(keys.truncated), jobContext());
      expect(outcome).toMatchObject({ ok: false, code: 'truncated_media' });
      if (outcome.ok) return;
      expect(outcome.message.length).toBeGreaterThan(10);
      await expectTempRootEmpty();
    });

    it('throws (retryable) when the source object is missing, leaving nothing behind', async () => {
      await expect(probe.handle(probePayload(storageKeys.source(mediaId, 'f'.repeat(64))), jobContext())).rejects.toBeDefined();
      await expectTempRootEmpty();
    });
  });

  describe('SegmentHandler', () => {
    let segment: SegmentHandler;
    let report: TaskReport;

    beforeAll(async () => {
      segment = new SegmentHandler(deps);
      report = await segment.handle(segmentPayload(keys.clip), jobContext());
    });

    it('returns a report that passes taskReportSchema, with no extra fields', () => {
      expect(taskReportSchema.parse(report)).toEqual(report);
      expect(report).toMatchObject({
        attemptNumber: 1,
        workerId: deps.workerId,
        encoderPath: 'cpu:libx264',
        encoderBuild: deps.encoderBuild,
        stream: { rendition: '240p', type: 'video', width: 426, height: 240, fps: FPS, bitrateKbps: 400 },
      });
      expect(report.encoderBuild).toMatch(/ffmpeg version/);
      expect(report.stream.codecs).toMatch(/^avc1\.[0-9a-f]{6}$/);
      expect(Date.parse(report.finishedAt)).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
    });

    it('uploads init and media segment under content-addressed keys with the reported size and sha256', async () => {
      const { init, media } = split(report);
      expect(media).toHaveLength(1);
      expect(init.sha256).toMatch(SHA256);
      expect(media[0].sha256).toMatch(SHA256);
      expect(init.key).toBe(`seg/${mediaId}/240p/init-${init.sha256}.mp4`);
      expect(media[0].key).toBe(`seg/${mediaId}/240p/1-${media[0].sha256}.m4s`);
      await expectStored(report.outputs);
    });

    it('places the segment at 4 s on the timeline with 120 samples', () => {
      const { init, media } = split(report);
      expect(init).toMatchObject({ rendition: '240p', segmentIndex: -1, baseDecodeTime: 0, duration: 0, sampleCount: 0 });
      expect(media[0]).toMatchObject({
        rendition: '240p',
        segmentIndex: 1,
        timescale: init.timescale,
        baseDecodeTime: 4 * init.timescale,
        duration: 4 * init.timescale,
        sampleCount: 120,
      });
    });

    it('uploads bytes that decode: init + segment from the bucket hold all 120 frames', async () => {
      const { init, media } = split(report);
      const joined = join(fixtures, 'joined-240p-1.mp4');
      await writeFile(joined, Buffer.concat([await env.store.getBuffer(init.key), await env.store.getBuffer(media[0].key)]));
      expect(await countVideoFrames(joined)).toBe(120);
    });

    it('removes its attempt directory and says so in the receipt', async () => {
      const sizes = report.outputs.reduce((n, o) => n + o.sizeBytes, 0);
      expect(report.cleanup.tempDirGone).toBe(true);
      expect(report.cleanup.pathsRemoved).toBeGreaterThan(0);
      // At least the downloaded source and the two packaged outputs were in the workspace.
      expect(report.cleanup.bytesRemoved).toBeGreaterThanOrEqual(clipSize + sizes);
      await expectTempRootEmpty();
    });

    it('is deterministic: a second attempt produces byte-identical outputs under the same keys', async () => {
      const again = await segment.handle(segmentPayload(keys.clip), jobContext({ attempt: 2 }));
      expect(again.attemptId).not.toBe(report.attemptId);
      expect(again.attemptNumber).toBe(2);
      expect(again.outputs).toEqual(report.outputs);
      await expectStored(again.outputs);
      await expectTempRootEmpty();
    });

    it('runs two chunks concurrently in one temp root; they share the init segment', async () => {
      const [r0, r1] = await Promise.all([
        segment.handle(segmentPayload(keys.clip, SEG0), jobContext()),
        segment.handle(segmentPayload(keys.clip, SEG1), jobContext()),
      ]);
      const s0 = split(r0);
      const s1 = split(r1);
      expect(s0.init.key).toBe(s1.init.key);
      expect(s0.init.key).toBe(split(report).init.key);
      expect(s0.media[0]).toMatchObject({ segmentIndex: 0, baseDecodeTime: 0, sampleCount: 120 });
      expect(s0.media[0].key).toBe(storageKeys.mediaSegment(mediaId, '240p', 0, s0.media[0].sha256));
      expect(s1.media[0]).toEqual(split(report).media[0]);
      await expectStored([...r0.outputs, ...r1.outputs]);
      await expectTempRootEmpty();
    });
  });

  describe('AudioHandler', () => {
    let report: TaskReport;

    beforeAll(async () => {
      report = await new AudioHandler(deps).handle(audioPayload(keys.clip), jobContext());
    });

    it('returns a valid report for the whole-file AAC stream', () => {
      expect(taskReportSchema.parse(report)).toEqual(report);
      expect(report).toMatchObject({
        attemptNumber: 1,
        encoderPath: 'cpu:aac',
        stream: { rendition: AUDIO_RENDITION, type: 'audio', codecs: 'mp4a.40.2', sampleRate: 48000, channels: 2 },
      });
    });

    it('uploads an init and contiguous media segments whose durations sum to 8 s', async () => {
      const { init, media } = split(report);
      expect(init.key).toBe(storageKeys.initSegment(mediaId, AUDIO_RENDITION, init.sha256));
      expect(media.length).toBeGreaterThanOrEqual(2);
      media.forEach((m, i) => {
        expect(m.segmentIndex).toBe(i);
        expect(m.key).toBe(storageKeys.mediaSegment(mediaId, AUDIO_RENDITION, i, m.sha256));
        expect(m.timescale).toBe(init.timescale);
        expect(m.sampleCount).toBeGreaterThan(0);
        // Each segment starts where the previous one ended.
        expect(m.baseDecodeTime).toBe(i === 0 ? 0 : media[i - 1].baseDecodeTime + media[i - 1].duration);
      });
      const seconds = media.reduce((n, m) => n + m.duration, 0) / init.timescale;
      expect(Math.abs(seconds - 8)).toBeLessThanOrEqual(0.05);
      await expectStored(report.outputs);
    });

    it('leaves the temp root empty', async () => {
      expect(report.cleanup).toMatchObject({ tempDirGone: true });
      expect(report.cleanup.pathsRemoved).toBeGreaterThan(0);
      await expectTempRootEmpty();
    });
  });

  describe('failure paths', () => {
    it('rejects when the source object does not exist, and cleans the workspace', async () => {
      const missing = storageKeys.source(mediaId, '0'.repeat(64));
      const before = await env.store.list(storageKeys.segmentPrefix(mediaId));
      const err: unknown = await new SegmentHandler(deps).handle(segmentPayload(missing), jobContext()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(['NoSuchKey', 'NotFound']).toContain((err as { code?: string }).code);
      await expectTempRootEmpty();
      // Nothing was uploaded for the failed attempt.
      expect(await env.store.list(storageKeys.segmentPrefix(mediaId))).toEqual(before);
    });

    it('rejects with a readable ProcessError when ffmpeg cannot decode the source, and cleans the workspace', async () => {
      const err: unknown = await new SegmentHandler(deps).handle(segmentPayload(keys.text), jobContext()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProcessError);
      const pe = err as ProcessError;
      expect(pe.command).toBe('ffmpeg');
      expect(pe.kind).toBe('exit');
      expect(pe.exitCode).not.toBe(0);
      expect(pe.message).toMatch(/^ffmpeg exited with code \d+: \S/);
      expect(pe.message).toMatch(/invalid data found/i);
      expect(pe.stderrTail.length).toBeGreaterThan(0);
      // No presigned-URL credentials anywhere in what ends up in logs and job records.
      for (const text of [pe.message, ...pe.args, ...pe.stderrTail]) {
        expect(text).not.toMatch(/X-Amz-|[?&](Signature|Credential|Expires)=/i);
      }
      await expectTempRootEmpty();
    });

    it('rejects the audio task for a text source and cleans the workspace', async () => {
      await expect(new AudioHandler(deps).handle(audioPayload(keys.text), jobContext())).rejects.toBeInstanceOf(ProcessError);
      await expectTempRootEmpty();
    });
  });
});

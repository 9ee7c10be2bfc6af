import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
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
import { AUDIO_RENDITION, classifyTaskFailure, segmentByteRanges, storageKeys } from '@airlock/domain';
import { ProcessError, buildSegmentEncodeArgs, countVideoFrames, encoderBuild, encodePaths, packageVideoChunk, probeFile, readInitFacts, readSegmentFacts, runProcess } from '@airlock/media';
import { TerminalError } from '@airlock/queue';
import { PutError } from '@airlock/storage';
import { type IntegrationEnv, makeClip, startIntegrationEnv, textFile, truncateCopy } from '@airlock/testing';
import type { GrantClient } from '../grants/grant-client';
import { OutputUploader, putOnce } from '../output/output-uploader';
import { jobContext } from '../test/job-context';
import { boxTypes, openStored, parsesAsIsoBmff, tryOpenStored } from '../test/stored-segment';
import { type IssuedGrant, type SealedSource, StoreGrantClient, isZeroed, newOutputKey, putSealed, sealFile, sha256Hex } from '../test/store-grant-client';
import { AudioHandler } from './audio.handler';
import { ProbeHandler } from './probe.handler';
import { SegmentHandler } from './segment.handler';
import type { WorkerDeps } from './worker-deps';

/**
 * The worker handlers end to end on real tools: s3rver behind ObjectStore, ffmpeg/ffprobe and
 * the shaka packager. The worker holds no storage credentials: a stand-in for the api's grant
 * exchange hands each attempt real keys, a presigned GET for the sealed source and presigned
 * PUTs for its content-hash outputs. Each handler decrypts its source into a private attempt
 * directory, packages clear CMAF, encrypts each init and segment whole (AES-128) and uploads
 * it, wipes its keys, releases its grant and cleans up.
 */

const FPS = { num: 30, den: 1 };
const R240: RenditionSpec = { name: '240p', codec: 'h264', width: 426, height: 240, bitrateKbps: 400, hdr: false };
const SEG0: SegmentSpec = { index: 0, startFrame: 0, frameCount: 120, startSec: 0, durationSec: 4, gopAligned: true };
const SEG1: SegmentSpec = { index: 1, startFrame: 120, frameCount: 120, startSec: 4, durationSec: 4, gopAligned: true };
const SHA256 = /^[0-9a-f]{64}$/;

/** One media of the pretend api: its id, the stored (sealed) source and the output key id. */
interface TestMedia {
  readonly mediaId: string;
  readonly source: SealedSource;
  readonly outputKey: Uint8Array;
  readonly outputKeyId: string;
}

describe('gpu-worker handlers (s3rver + grants + ffmpeg + packager)', () => {
  let env: IntegrationEnv;
  let grants: StoreGrantClient;
  let deps: WorkerDeps;
  let tempRoot: string;
  let fixtures: string;
  let clipPath: string;
  let clipSize = 0;
  const jobId = randomUUID();
  const media = {} as Record<'clip' | 'text' | 'truncated' | 'mismatched' | 'wrongKey' | 'cutCipher' | 'missing' | 'hugeChunk', TestMedia>;

  /** Registers a media with the pretend api: its source as stored, the key the api holds, a fresh output key. */
  function addMedia(mediaId: string, source: SealedSource, contentKey: Uint8Array): TestMedia {
    const { outputKey, outputKeyId } = newOutputKey();
    grants.addMedia(mediaId, { source, contentKey, outputKey, outputKeyId });
    return { mediaId, source, outputKey: Uint8Array.from(outputKey), outputKeyId };
  }

  /** A sender's upload: seal the file under a fresh content key and store it under its ciphertext hash. */
  async function sealedMedia(file: string): Promise<TestMedia> {
    const mediaId = randomUUID();
    const contentKey = new Uint8Array(randomBytes(32));
    return addMedia(mediaId, await putSealed(env.store, mediaId, await sealFile(file, contentKey)), contentKey);
  }

  const probePayload = (m: TestMedia): PayloadOf<typeof JobName.MediaProbe> =>
    parsePayload(JobName.MediaProbe, { mediaId: m.mediaId, jobId, taskId: randomUUID(), keyTtlSec: 600, sourceKey: m.source.key });

  const segmentPayload = (m: TestMedia, segment: SegmentSpec = SEG1, rendition: RenditionSpec = R240): PayloadOf<typeof JobName.SegmentTranscode> =>
    parsePayload(JobName.SegmentTranscode, { mediaId: m.mediaId, jobId, taskId: randomUUID(), keyTtlSec: 600, sourceKey: m.source.key, fps: FPS, segment, rendition });

  const audioPayload = (m: TestMedia): PayloadOf<typeof JobName.AudioTranscode> =>
    parsePayload(JobName.AudioTranscode, { mediaId: m.mediaId, jobId, taskId: randomUUID(), keyTtlSec: 600, sourceKey: m.source.key, durationSec: 8 });

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

  /** The one grant of a task (or of one attempt of it): keys zeroed, then released, exactly once each. */
  function expectGrantClosed(taskId: string, attemptId?: string): IssuedGrant {
    const issued = grants.grantsFor(taskId).filter((g) => attemptId === undefined || g.ids.attemptId === attemptId);
    expect(issued).toHaveLength(1);
    const [g] = issued;
    expect(g.contentKey).toHaveLength(32);
    expect(g.outputKey).toHaveLength(16);
    expect(isZeroed(g.contentKey)).toBe(true);
    expect(isZeroed(g.outputKey)).toBe(true);
    expect(g.calls.filter((c) => c !== 'heartbeat')).toEqual(['wipe', 'release']);
    return g;
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
    // What main.ts hands the handlers: the worker's own directory (0700), empty before the first attempt.
    await mkdir(tempRoot, { recursive: true, mode: 0o700 });
    grants = new StoreGrantClient(env.store);

    clipPath = await makeClip(fixtures, 'clip.mp4', { width: 640, height: 360, seconds: 8, audio: true });
    clipSize = (await stat(clipPath)).size;
    media.clip = await sealedMedia(clipPath);
    media.text = await sealedMedia(textFile(join(fixtures, 'notes.mp4')));
    media.truncated = await sealedMedia(truncateCopy(clipPath, join(fixtures, 'cut.mp4'), 0.4));

    // The clip sealed correctly, but stored under (and declared with) the hash of other content.
    {
      const mediaId = randomUUID();
      const contentKey = new Uint8Array(randomBytes(32));
      const ciphertext = await sealFile(clipPath, contentKey);
      const claimed = sha256Hex('what the client claimed');
      const key = storageKeys.source(mediaId, claimed);
      await env.store.putBuffer(key, ciphertext);
      media.mismatched = addMedia(mediaId, { key, sha256: claimed, sizeBytes: ciphertext.length }, contentKey);
    }
    // The clip sealed under one key while the api holds another: authentication fails on chunk 0.
    {
      const mediaId = randomUUID();
      const source = await putSealed(env.store, mediaId, await sealFile(clipPath, new Uint8Array(randomBytes(32))));
      media.wrongKey = addMedia(mediaId, source, new Uint8Array(randomBytes(32)));
    }
    // Ciphertext cut off mid-way (stored under the hash of what is there): the final chunk is missing.
    {
      const mediaId = randomUUID();
      const contentKey = new Uint8Array(randomBytes(32));
      const full = await sealFile(clipPath, contentKey);
      media.cutCipher = addMedia(mediaId, await putSealed(env.store, mediaId, full.subarray(0, Math.floor(full.length * 0.6))), contentKey);
    }
    // A media whose source object was never uploaded.
    {
      const mediaId = randomUUID();
      const sha256 = '0'.repeat(64);
      media.missing = addMedia(mediaId, { key: storageKeys.source(mediaId, sha256), sha256, sizeBytes: 1000 }, new Uint8Array(randomBytes(32)));
    }
    // A hand-made sealed stream whose header declares 1 GiB chunks (then 64 KiB of anything):
    // a worker that buffered one chunk would hold the whole source, or 1 GiB of a larger one.
    {
      const mediaId = randomUUID();
      const header = Buffer.alloc(17);
      header.write('ALK1', 0, 'latin1');
      header[4] = 1;
      header.writeUInt32BE(1024 ** 3, 5);
      media.hugeChunk = addMedia(mediaId, await putSealed(env.store, mediaId, Buffer.concat([header, randomBytes(64 * 1024)])), new Uint8Array(randomBytes(32)));
    }
    expect(new Set(Object.values(media).map((m) => m.source.key)).size).toBe(8);

    deps = {
      // A stand-in for the api side of the exchange; the real GrantClient is tested against the api.
      grants: grants as unknown as GrantClient,
      uploader: new OutputUploader(),
      workerId: 'gpu-worker-int-spec',
      tempRoot,
      ffmpegTimeoutMs: 120_000,
      heartbeatMs: 200,
      encoderBuild: await encoderBuild(),
      encodePaths: encodePaths(['cpu']),
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

    it('describes the sealed clip (decrypted in the attempt dir), keyframes every 2 s included', async () => {
      const payload = probePayload(media.clip);
      const outcome = await probe.handle(payload, jobContext());
      if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
      // The plaintext size: what was probed is the decrypted clip, not the ciphertext.
      expect(outcome.probe.sizeBytes).toBe(clipSize);
      expect(media.clip.source.sizeBytes).toBeGreaterThan(clipSize);
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
      const g = expectGrantClosed(payload.taskId);
      expect(g.ids).toMatchObject({ mediaId: media.clip.mediaId, jobId, taskId: payload.taskId });
      // The answer names its attempt: the planner records it as the probe task's winner.
      expect(outcome.attemptId).toBe(g.ids.attemptId);
      // A probe writes nothing.
      expect(g.uploadRequests).toEqual([]);
      await expectTempRootEmpty();
    });

    it('answers source_mismatch when the stored bytes do not match the declared sha256', async () => {
      const payload = probePayload(media.mismatched);
      const outcome = await probe.handle(payload, jobContext());
      expect(outcome).toMatchObject({ ok: false, code: 'source_mismatch' });
      expectGrantClosed(payload.taskId);
      await expectTempRootEmpty();
    });

    it('answers source_undecryptable for a source sealed with another key', async () => {
      const payload = probePayload(media.wrongKey);
      const outcome = await probe.handle(payload, jobContext());
      expect(outcome).toMatchObject({ ok: false, code: 'source_undecryptable' });
      expectGrantClosed(payload.taskId);
      await expectTempRootEmpty();
    });

    it('answers source_undecryptable for ciphertext cut off before its final chunk', async () => {
      const payload = probePayload(media.cutCipher);
      const outcome = await probe.handle(payload, jobContext());
      expect(outcome).toMatchObject({ ok: false, code: 'source_undecryptable' });
      expectGrantClosed(payload.taskId);
      await expectTempRootEmpty();
    });

    it('answers source_chunk_size_invalid (terminal) for a header declaring 1 GiB chunks', async () => {
      const payload = probePayload(media.hugeChunk);
      const outcome = await probe.handle(payload, jobContext());
      expect(outcome).toMatchObject({ ok: false, code: 'source_chunk_size_invalid' });
      expect(classifyTaskFailure(`${outcome.ok ? '' : outcome.code}: detail`)).toEqual({ code: 'source_chunk_size_invalid', terminal: true });
      expectGrantClosed(payload.taskId);
      await expectTempRootEmpty();
    });

    it('rejects a sealed text file as not_media', async () => {
      const payload = probePayload(media.text);
      const outcome = await probe.handle(payload, jobContext());
      expect(outcome).toMatchObject({ ok: false, code: 'not_media' });
      expectGrantClosed(payload.taskId);
      await expectTempRootEmpty();
    });

    it('rejects a sealed truncated upload as truncated_media', async () => {
      const payload = probePayload(media.truncated);
      const outcome = await probe.handle(payload, jobContext());
      expect(outcome).toMatchObject({ ok: false, code: 'truncated_media' });
      if (outcome.ok) return;
      expect(outcome.message.length).toBeGreaterThan(10);
      expectGrantClosed(payload.taskId);
      await expectTempRootEmpty();
    });

    it('throws (retryable) when the source object is missing, leaving nothing behind', async () => {
      const payload = probePayload(media.missing);
      const err: unknown = await probe.handle(payload, jobContext()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(TerminalError);
      expect((err as Error).message).toMatch(/source download failed with 404/);
      expectGrantClosed(payload.taskId);
      await expectTempRootEmpty();
    });

    it('fails terminally, with nothing opened, when the grant is refused', async () => {
      const refused = parsePayload(JobName.MediaProbe, { mediaId: randomUUID(), jobId, taskId: randomUUID(), keyTtlSec: 600, sourceKey: 'src/none' });
      await expect(probe.handle(refused, jobContext())).rejects.toMatchObject({ name: 'TerminalError', code: 'task_not_in_media' });
      expect(grants.grantsFor(refused.taskId)).toEqual([]);
      await expectTempRootEmpty();
    });
  });

  describe('SegmentHandler', () => {
    let segment: SegmentHandler;
    let payload: PayloadOf<typeof JobName.SegmentTranscode>;
    let report: TaskReport;

    beforeAll(async () => {
      segment = new SegmentHandler(deps);
      payload = segmentPayload(media.clip);
      report = await segment.handle(payload, jobContext());
    });

    it('returns a report that passes taskReportSchema, with no extra fields', () => {
      expect(taskReportSchema.parse(report)).toEqual(report);
      expect(report).toMatchObject({
        taskId: payload.taskId,
        attemptNumber: 1,
        workerId: deps.workerId,
        encoderPath: 'cpu/sw-decode:libx264',
        encoderBuild: deps.encoderBuild,
        stream: {
          rendition: '240p',
          type: 'video',
          width: 426,
          height: 240,
          fps: FPS,
          bitrateKbps: 400,
          encryption: { scheme: 'aes-128', keyId: media.clip.outputKeyId },
        },
        cleanup: { tempDirGone: true, grantReleased: true },
      });
      expect(report.encoderBuild).toMatch(/ffmpeg version/);
      // Read from the clear init before it was encrypted.
      expect(report.stream.codecs).toMatch(/^avc1\.[0-9a-f]{6}$/);
      expect(Date.parse(report.finishedAt)).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
    });

    it('acquires one grant for the attempt, asks for exactly its two outputs, then wipes the keys and releases it', () => {
      const g = expectGrantClosed(payload.taskId, report.attemptId);
      expect(g.ids).toEqual({ attemptId: report.attemptId, mediaId: media.clip.mediaId, jobId, taskId: payload.taskId });
      const { init, media: segs } = split(report);
      expect(g.uploadRequests).toEqual([
        [
          { kind: 'init', rendition: '240p', segmentIndex: -1, sha256: init.sha256, sizeBytes: init.sizeBytes },
          { kind: 'media', rendition: '240p', segmentIndex: 1, sha256: segs[0].sha256, sizeBytes: segs[0].sizeBytes },
        ],
      ]);
    });

    it('uploads init and media segment under content-addressed keys with the reported size and sha256', async () => {
      const { init, media: segs } = split(report);
      expect(segs).toHaveLength(1);
      expect(init.sha256).toMatch(SHA256);
      expect(segs[0].sha256).toMatch(SHA256);
      expect(init.key).toBe(`seg/${media.clip.mediaId}/240p/init-${init.sha256}.mp4`);
      expect(segs[0].key).toBe(`seg/${media.clip.mediaId}/240p/1-${segs[0].sha256}.m4s`);
      await expectStored(report.outputs);
    });

    it('places the segment at 4 s on the timeline with 120 samples', () => {
      const { init, media: segs } = split(report);
      expect(init).toMatchObject({ rendition: '240p', segmentIndex: -1, baseDecodeTime: 0, duration: 0, sampleCount: 0 });
      expect(segs[0]).toMatchObject({
        rendition: '240p',
        segmentIndex: 1,
        timescale: init.timescale,
        baseDecodeTime: 4 * init.timescale,
        duration: 4 * init.timescale,
        sampleCount: 120,
      });
    });

    it('stores init and segment encrypted whole: no ISO-BMFF structure readable, whole AES blocks, no key inside', async () => {
      for (const out of report.outputs) {
        const stored = await env.store.getBuffer(out.key);
        // A segment published clear (or cbcs, whose boxes stay clear) would parse here.
        expect(parsesAsIsoBmff(stored)).toBe(false);
        expect(stored.length % 16).toBe(0);
        expect(stored.includes(Buffer.from(media.clip.outputKey))).toBe(false);
      }
    });

    it('opens under the output key and the IV of its rendition and index to clear fMP4 whose facts are the reported ones', async () => {
      const { init, media: segs } = split(report);
      const { outputKey, outputKeyId } = media.clip;
      const clearInit = await openStored(await env.store.getBuffer(init.key), outputKey, outputKeyId, '240p', -1);
      const clearSeg = await openStored(await env.store.getBuffer(segs[0].key), outputKey, outputKeyId, '240p', 1);
      expect(readInitFacts(clearInit)).toMatchObject({ timescale: init.timescale, codecs: report.stream.codecs });
      expect(readSegmentFacts(clearSeg)).toEqual({ baseDecodeTime: segs[0].baseDecodeTime, duration: segs[0].duration, sampleCount: segs[0].sampleCount });
      // Clear inside: the packager wrote no sample protection.
      expect(boxTypes(clearInit)).toContain('avc1');
      expect(boxTypes(clearInit)).not.toContain('pssh');
      expect(boxTypes(clearSeg)).not.toContain('senc');
    });

    it('does not open under another key, and another object\'s IV garbles its first block', async () => {
      const { init, media: segs } = split(report);
      const { outputKey, outputKeyId } = media.clip;
      const storedInit = await env.store.getBuffer(init.key);
      const storedSeg = await env.store.getBuffer(segs[0].key);
      const clearSeg = await openStored(storedSeg, outputKey, outputKeyId, '240p', 1);
      // A wrong key fails the padding check, or (rarely) yields noise that is not the segment.
      const underWrongKey = await tryOpenStored(storedSeg, randomBytes(16), outputKeyId, '240p', 1);
      expect(underWrongKey !== undefined && parsesAsIsoBmff(underWrongKey)).toBe(false);
      // CBC under a wrong IV differs in the first block only: the box header a demuxer reads first.
      for (const [stored, index] of [
        [storedSeg, 0],
        [storedSeg, -1],
        [storedInit, 1],
      ] as const) {
        const misplaced = await openStored(stored, outputKey, outputKeyId, '240p', index);
        expect(parsesAsIsoBmff(misplaced)).toBe(false);
      }
      const otherRendition = await openStored(storedSeg, outputKey, outputKeyId, '360p', 1);
      expect(otherRendition.subarray(16).equals(clearSeg.subarray(16))).toBe(true);
      expect(parsesAsIsoBmff(otherRendition)).toBe(false);
    });

    it('opens to exactly the bytes the packager writes for the same chunk outside the worker, which decode to 120 frames', async () => {
      const chunk = join(fixtures, 'clear-chunk-240p-1.mp4');
      await runProcess('ffmpeg', buildSegmentEncodeArgs({ input: clipPath, output: chunk, segment: SEG1, fps: FPS, rendition: R240, accel: 'cpu' }), { cwd: fixtures, timeoutMs: 120_000 });
      const clear = await packageVideoChunk({ input: chunk, initOut: join(fixtures, 'clear-init.mp4'), segmentOut: join(fixtures, 'clear-1.m4s') });
      const { init, media: segs } = split(report);
      const { outputKey, outputKeyId } = media.clip;
      const openedInit = await openStored(await env.store.getBuffer(init.key), outputKey, outputKeyId, '240p', -1);
      const openedSeg = await openStored(await env.store.getBuffer(segs[0].key), outputKey, outputKeyId, '240p', 1);
      expect(openedInit.equals(await readFile(clear.init))).toBe(true);
      expect(openedSeg.equals(await readFile(clear.segment))).toBe(true);
      const joined = join(fixtures, 'opened-joined-240p-1.mp4');
      await writeFile(joined, Buffer.concat([openedInit, openedSeg]));
      expect(await countVideoFrames(joined)).toBe(120);
    });

    it('removes its attempt directory and says so in the receipt', async () => {
      const sizes = report.outputs.reduce((n, o) => n + o.sizeBytes, 0);
      expect(report.cleanup?.tempDirGone).toBe(true);
      expect(report.cleanup?.pathsRemoved).toBeGreaterThan(0);
      // At least the decrypted source and the two packaged outputs were in the workspace.
      expect(report.cleanup?.bytesRemoved).toBeGreaterThanOrEqual(clipSize + sizes);
      await expectTempRootEmpty();
    });

    it('is deterministic: a second attempt produces byte-identical outputs under the same keys', async () => {
      const again = await segment.handle(payload, jobContext({ attempt: 2 }));
      expect(again.attemptId).not.toBe(report.attemptId);
      expect(again.attemptNumber).toBe(2);
      expect(again.outputs).toEqual(report.outputs);
      await expectStored(again.outputs);
      // Each attempt had its own grant, and each was closed.
      expect(grants.grantsFor(payload.taskId)).toHaveLength(2);
      expectGrantClosed(payload.taskId, report.attemptId);
      expectGrantClosed(payload.taskId, again.attemptId);
      await expectTempRootEmpty();
    });

    it('falls back from NVENC (no GPU on this machine) to software decode, then to the CPU, records the path, and still matches byte for byte', async () => {
      const nvencWorker = new SegmentHandler({ ...deps, encodePaths: encodePaths(['nvenc', 'cpu']) });
      const fellBack = await nvencWorker.handle(payload, jobContext({ attempt: 3 }));
      expect(fellBack.encoderPath).toMatch(/^cpu\/sw-decode:libx264 after nvenc\/hw-decode \((exit \d+|signal)\), nvenc\/sw-decode \((exit \d+|signal)\)$/);
      expect(fellBack.outputs).toEqual(report.outputs);
      await expectTempRootEmpty();
    });

    it('reads only the sealed chunks its segment needs (HTTP ranges into a sparse source) and still matches byte for byte', async () => {
      const probed = await probeFile(clipPath);
      const byteMap = probed.ok ? probed.probe.byteMap : undefined;
      if (!byteMap) throw new Error('the clip has no byte map');
      expect(byteMap.keyframes.map(([t]) => t)).toEqual([0, 2, 4, 6]);
      const sourceRanges = segmentByteRanges(byteMap, SEG1.startSec, SEG1.startSec + SEG1.durationSec);
      const needed = sourceRanges.reduce((sum, [a, b]) => sum + b - a, 0);
      expect(needed).toBeLessThan(clipSize * 0.75);
      const ranged = await segment.handle(parsePayload(JobName.SegmentTranscode, { ...payload, sourceRanges }), jobContext({ attempt: 4 }));
      expect(ranged.outputs).toEqual(report.outputs);
      // A second attempt on this worker has the source's sealed header already: the same bytes again.
      const again = await segment.handle(parsePayload(JobName.SegmentTranscode, { ...payload, sourceRanges }), jobContext({ attempt: 5 }));
      expect(again.outputs).toEqual(report.outputs);
      await expectTempRootEmpty();
    });

    it('encodes a segment group (two rungs, one FFmpeg run) byte for byte as each rung alone, each its own attempt and grant', async () => {
      const R360: RenditionSpec = { name: '360p', codec: 'h264', width: 640, height: 360, bitrateKbps: 800, hdr: false };
      const tasks = [
        { taskId: randomUUID(), rendition: R240 },
        { taskId: randomUUID(), rendition: R360 },
      ];
      const group = parsePayload(JobName.SegmentGroupTranscode, { mediaId: media.clip.mediaId, jobId, keyTtlSec: 600, sourceKey: media.clip.source.key, fps: FPS, segment: SEG1, tasks });
      const { reports } = await segment.handleGroup(group, jobContext());
      expect(reports.map((r) => [r.taskId, r.stream.rendition])).toEqual(tasks.map((t) => [t.taskId, t.rendition.name]));
      expect(new Set(reports.map((r) => r.attemptId)).size).toBe(2);
      for (const r of reports) expect(taskReportSchema.parse(r)).toEqual(r);
      expect(reports[0].outputs).toEqual(report.outputs);
      const alone360 = await segment.handle(segmentPayload(media.clip, SEG1, R360), jobContext());
      expect(reports[1].outputs).toEqual(alone360.outputs);
      await expectStored(reports.flatMap((r) => r.outputs));
      for (const [i, t] of tasks.entries()) expectGrantClosed(t.taskId, reports[i].attemptId);
      await expectTempRootEmpty();
    });

    it('runs two chunks concurrently in one temp root; they share the init segment', async () => {
      const p0 = segmentPayload(media.clip, SEG0);
      const p1 = segmentPayload(media.clip, SEG1);
      const [r0, r1] = await Promise.all([segment.handle(p0, jobContext()), segment.handle(p1, jobContext())]);
      const s0 = split(r0);
      const s1 = split(r1);
      expect(s0.init.key).toBe(s1.init.key);
      expect(s0.init.key).toBe(split(report).init.key);
      expect(s0.media[0]).toMatchObject({ segmentIndex: 0, baseDecodeTime: 0, sampleCount: 120 });
      expect(s0.media[0].key).toBe(storageKeys.mediaSegment(media.clip.mediaId, '240p', 0, s0.media[0].sha256));
      expect(s1.media[0]).toEqual(split(report).media[0]);
      await expectStored([...r0.outputs, ...r1.outputs]);
      expectGrantClosed(p0.taskId);
      expectGrantClosed(p1.taskId);
      await expectTempRootEmpty();
    });

    it('reports grantReleased: false when the release does not go through, and still wipes the keys', async () => {
      const p = segmentPayload(media.clip, SEG0);
      grants.releaseSucceeds = false;
      try {
        const r = await segment.handle(p, jobContext());
        expect(r.cleanup).toEqual(expect.objectContaining({ tempDirGone: true, grantReleased: false }));
        expect(taskReportSchema.parse(r)).toEqual(r);
      } finally {
        grants.releaseSucceeds = true;
      }
      expectGrantClosed(p.taskId);
      await expectTempRootEmpty();
    });
  });

  describe('AudioHandler', () => {
    let payload: PayloadOf<typeof JobName.AudioTranscode>;
    let report: TaskReport;

    beforeAll(async () => {
      payload = audioPayload(media.clip);
      report = await new AudioHandler(deps).handle(payload, jobContext());
    });

    it('returns a valid report for the whole-file AAC stream', () => {
      expect(taskReportSchema.parse(report)).toEqual(report);
      expect(report).toMatchObject({
        attemptNumber: 1,
        encoderPath: 'cpu:aac',
        stream: {
          rendition: AUDIO_RENDITION,
          type: 'audio',
          codecs: 'mp4a.40.2',
          sampleRate: 48000,
          channels: 2,
          encryption: { scheme: 'aes-128', keyId: media.clip.outputKeyId },
        },
        cleanup: { grantReleased: true },
      });
    });

    it('uploads an init and contiguous media segments whose durations sum to 8 s', async () => {
      const { init, media: segs } = split(report);
      expect(init.key).toBe(storageKeys.initSegment(media.clip.mediaId, AUDIO_RENDITION, init.sha256));
      expect(segs.length).toBeGreaterThanOrEqual(2);
      segs.forEach((m, i) => {
        expect(m.segmentIndex).toBe(i);
        expect(m.key).toBe(storageKeys.mediaSegment(media.clip.mediaId, AUDIO_RENDITION, i, m.sha256));
        expect(m.timescale).toBe(init.timescale);
        expect(m.sampleCount).toBeGreaterThan(0);
        // Each segment starts where the previous one ended.
        expect(m.baseDecodeTime).toBe(i === 0 ? 0 : segs[i - 1].baseDecodeTime + segs[i - 1].duration);
      });
      const seconds = segs.reduce((n, m) => n + m.duration, 0) / init.timescale;
      expect(Math.abs(seconds - 8)).toBeLessThanOrEqual(0.05);
      await expectStored(report.outputs);
      // All outputs in one request, each under the content hash it declared.
      const g = expectGrantClosed(payload.taskId, report.attemptId);
      expect(g.uploadRequests).toHaveLength(1);
      expect(g.uploadRequests[0].map((f) => f.sha256)).toEqual(report.outputs.map((o) => o.sha256));
    });

    it('stores every object encrypted whole, each opening under its own IV to clear AAC fMP4 with the reported facts', async () => {
      const { init, media: segs } = split(report);
      const { outputKey, outputKeyId } = media.clip;
      const open = async (o: OutputFact) => {
        const stored = await env.store.getBuffer(o.key);
        expect(parsesAsIsoBmff(stored)).toBe(false);
        return openStored(stored, outputKey, outputKeyId, AUDIO_RENDITION, o.segmentIndex);
      };
      const clearInit = await open(init);
      expect(readInitFacts(clearInit)).toMatchObject({ timescale: init.timescale, codecs: 'mp4a.40.2' });
      expect(boxTypes(clearInit)).toContain('mp4a');
      for (const m of segs) {
        expect(readSegmentFacts(await open(m))).toEqual({ baseDecodeTime: m.baseDecodeTime, duration: m.duration, sampleCount: m.sampleCount });
      }
    });

    it('leaves the temp root empty', async () => {
      expect(report.cleanup).toMatchObject({ tempDirGone: true });
      expect(report.cleanup?.pathsRemoved).toBeGreaterThan(0);
      await expectTempRootEmpty();
    });
  });

  describe('write-once uploads (bound PUTs against the gated store)', () => {
    it('a 412 (the object is there, with the bound bytes) counts as done; any other refusal fails the try', async () => {
      const file = join(fixtures, 'write-once.bin');
      const bytes = randomBytes(48);
      await writeFile(file, bytes);
      const key = storageKeys.mediaSegment(randomUUID(), '240p', 0, sha256Hex(bytes));
      const bound = await env.store.presignBoundPut(key, { sizeBytes: bytes.length, sha256Hex: sha256Hex(bytes) }, { signedAt: new Date(), ttlSec: 60 });
      await putOnce(bound, file);
      // A retry, or a second task writing a shared init: already there, done.
      await putOnce(bound, file);
      expect(await env.store.getBuffer(key)).toEqual(bytes);
      // Bytes other than the bound ones are refused before anything is stored, and the try fails.
      const otherKey = storageKeys.mediaSegment(randomUUID(), '240p', 0, sha256Hex(bytes));
      const other = await env.store.presignBoundPut(otherKey, { sizeBytes: bytes.length, sha256Hex: sha256Hex(Buffer.alloc(48)) }, { signedAt: new Date(), ttlSec: 60 });
      const refused: unknown = await putOnce(other, file).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(PutError);
      expect((refused as PutError).status).toBe(400);
      expect(await env.store.stat(otherKey)).toBeUndefined();
    });
  });

  describe('failure paths', () => {
    /** Segment keys of a media in the bucket (nothing may be uploaded by a failed attempt). */
    const stored = (m: TestMedia) => env.store.list(storageKeys.segmentPrefix(m.mediaId));

    it('rejects when the source object does not exist, releases the grant and cleans the workspace', async () => {
      const p = segmentPayload(media.missing);
      const err: unknown = await new SegmentHandler(deps).handle(p, jobContext()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(TerminalError);
      expect((err as Error).message).toMatch(/source download failed with 404/);
      const g = expectGrantClosed(p.taskId);
      expect(g.uploadRequests).toEqual([]);
      await expectTempRootEmpty();
      expect(await stored(media.missing)).toEqual([]);
    });

    it('gives up an attempt whose grant expired mid-task: retryable, keys wiped, grant released, nothing left or stored', async () => {
      const p = segmentPayload(media.clip, SEG0);
      grants.expireBeforeUpload = true;
      try {
        const err: unknown = await new SegmentHandler(deps).handle(p, jobContext()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
        expect(err).not.toBeInstanceOf(TerminalError);
        expect((err as Error).message).toMatch(/grant_expired/);
      } finally {
        grants.expireBeforeUpload = false;
      }
      expectGrantClosed(p.taskId);
      await expectTempRootEmpty();
    });

    it('rejects with a readable ProcessError when ffmpeg cannot decode the source, releases the grant and cleans the workspace', async () => {
      const p = segmentPayload(media.text);
      const err: unknown = await new SegmentHandler(deps).handle(p, jobContext()).catch((e: unknown) => e);
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
      const g = expectGrantClosed(p.taskId);
      expect(g.uploadRequests).toEqual([]);
      await expectTempRootEmpty();
      expect(await stored(media.text)).toEqual([]);
    });

    it('fails terminally with source_mismatch when the stored bytes are not the declared ones', async () => {
      const p = segmentPayload(media.mismatched);
      const err: unknown = await new SegmentHandler(deps).handle(p, jobContext()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TerminalError);
      expect(err).toMatchObject({ code: 'source_mismatch' });
      expectGrantClosed(p.taskId);
      await expectTempRootEmpty();
      expect(await stored(media.mismatched)).toEqual([]);
    });

    it('fails terminally with source_undecryptable for a source sealed with another key', async () => {
      const p = segmentPayload(media.wrongKey);
      const err: unknown = await new SegmentHandler(deps).handle(p, jobContext()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TerminalError);
      expect(err).toMatchObject({ code: 'source_undecryptable' });
      expectGrantClosed(p.taskId);
      await expectTempRootEmpty();
      expect(await stored(media.wrongKey)).toEqual([]);
    });

    it('fails terminally with source_chunk_size_invalid for a header declaring 1 GiB chunks, whole or by ranges', async () => {
      for (const sourceRanges of [undefined, [[0, 1000]] as [number, number][]]) {
        const p = parsePayload(JobName.SegmentTranscode, { ...segmentPayload(media.hugeChunk), ...(sourceRanges ? { sourceRanges } : {}) });
        const err: unknown = await new SegmentHandler(deps).handle(p, jobContext()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TerminalError);
        expect(err).toMatchObject({ code: 'source_chunk_size_invalid' });
        expectGrantClosed(p.taskId);
      }
      await expectTempRootEmpty();
      expect(await stored(media.hugeChunk)).toEqual([]);
    });

    it('rejects the audio task for a text source, releases the grant and cleans the workspace', async () => {
      const p = audioPayload(media.text);
      await expect(new AudioHandler(deps).handle(p, jobContext())).rejects.toBeInstanceOf(ProcessError);
      expectGrantClosed(p.taskId);
      await expectTempRootEmpty();
    });

    it('fails the audio task terminally for an undecryptable source', async () => {
      const p = audioPayload(media.cutCipher);
      await expect(new AudioHandler(deps).handle(p, jobContext())).rejects.toMatchObject({ name: 'TerminalError', code: 'source_undecryptable' });
      expectGrantClosed(p.taskId);
      await expectTempRootEmpty();
    });
  });
});

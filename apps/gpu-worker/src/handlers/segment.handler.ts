import { readFile } from 'node:fs/promises';
import { JobName, PayloadOf, RenditionSpec, TaskReport, TaskReports } from '@airlock/contracts';
import { buildSegmentCopyArgs, buildSegmentEncodeArgs, buildSegmentGroupEncodeArgs, describePathTaken, EncodePath, encoderFor, packageVideoChunk, pathLabel, readInitFacts, runProcess, withEncoderFallback } from '@airlock/media';
import { durationClass } from '@airlock/domain';
import { JobContext } from '@airlock/queue';
import { withSpan } from '@airlock/telemetry';
import { AttemptRun, runAttempt, runAttempts } from '../attempt/run-attempt';
import { AttemptWorkspace } from '../attempt/attempt-workspace';
import { AttemptGrant } from '../grants/grant-client';
import { classOf, measureFfmpeg } from '../metrics/ffmpeg-metrics';
import { fetchDecryptedSource } from '../grants/secure-source';
import { segmentEncryption } from '../output/segment-encryption';
import { BACKGROUND_NICENESS, nicenessFor } from './cpu-priority';
import { WorkerDeps } from './worker-deps';

type SegmentTask = PayloadOf<typeof JobName.SegmentTranscode>;
type SegmentGroup = PayloadOf<typeof JobName.SegmentGroupTranscode>;

/**
 * One segment x one rendition: decrypt, encode the chunk on the CPU, package it as CMAF,
 * upload init and segment by content hash, each encrypted whole (AES-128). A group is several
 * rungs of one segment from one FFmpeg run (the source fetched and decoded once), each rung
 * still its own task, attempt and report.
 */
export class SegmentHandler {
  constructor(private readonly deps: WorkerDeps) {}

  async handle(data: SegmentTask, ctx: JobContext): Promise<TaskReport> {
    const { rendition, segment } = data;
    const run = await runAttempt(this.deps, ctx, data, async (ws, grant, signal) => {
      const source = ws.path('source');
      await fetchDecryptedSource(grant, source, data.sourceRanges);
      const chunk = ws.path('chunk.mp4');
      const encoderPath = await measureFfmpeg({ profile: rendition.name, mediaSec: segment.durationSec, workerClass: classOf(this.deps) }, () =>
        this.cut(data, source, chunk, ws.dir, signal),
      );
      return this.deliver(data, rendition, grant, ws, chunk, encoderPath);
    });
    return this.reportOf(data.taskId, run);
  }

  async handleGroup(data: SegmentGroup, ctx: JobContext): Promise<TaskReports> {
    const { segment } = data;
    const ids = data.tasks.map((t) => ({ mediaId: data.mediaId, jobId: data.jobId, taskId: t.taskId, keyTtlSec: data.keyTtlSec }));
    const runs = await runAttempts(this.deps, ctx, ids, async (held, signal) => {
      const source = held[0].ws.path('source');
      await fetchDecryptedSource(held[0].grant, source, data.sourceRanges);
      const chunks = held.map((h) => h.ws.path('chunk.mp4'));
      const profile = data.tasks.map((t) => t.rendition.name).join('+');
      const encoderPath = await measureFfmpeg({ profile, mediaSec: segment.durationSec * data.tasks.length, workerClass: classOf(this.deps) }, () =>
        this.cutGroup(data, source, chunks, held[0].ws.dir, signal),
      );
      return Promise.all(held.map((h, i) => this.deliver(data, data.tasks[i].rendition, h.grant, h.ws, chunks[i], encoderPath)));
    });
    return { reports: runs.map((run, i) => this.reportOf(data.tasks[i].taskId, run)) };
  }

  /** Package one chunk as CMAF, and upload it by content hash, encrypted whole under the grant's output key. */
  private async deliver(data: Pick<SegmentTask, 'mediaId' | 'fps' | 'segment'>, rendition: RenditionSpec, grant: AttemptGrant, ws: AttemptWorkspace, chunk: string, encoderPath: string) {
    const initPath = ws.path('init.mp4');
    const segPath = ws.path('segment.m4s');
    await withSpan('package', {}, () => packageVideoChunk({ input: chunk, initOut: initPath, segmentOut: segPath }));
    const initFacts = readInitFacts(await readFile(initPath));
    const outputs = await this.deps.uploader.upload(grant, [
      { kind: 'init', rendition: rendition.name, segmentIndex: -1, path: initPath },
      { kind: 'media', rendition: rendition.name, segmentIndex: data.segment.index, path: segPath },
    ]);
    return {
      outputs,
      encoderPath,
      stream: {
        rendition: rendition.name,
        type: 'video' as const,
        codecs: initFacts.codecs,
        width: rendition.width,
        height: rendition.height,
        fps: data.fps,
        bitrateKbps: rendition.bitrateKbps,
        encryption: segmentEncryption(grant),
      },
    };
  }

  private reportOf(taskId: string, run: AttemptRun<Awaited<ReturnType<SegmentHandler['deliver']>>>): TaskReport {
    return {
      taskId,
      ...run.attempt,
      encoderBuild: this.deps.encoderBuild,
      finishedAt: new Date().toISOString(),
      ...run.result,
      cleanup: run.cleanup,
    };
  }

  /** A group's chunks from one run: decoded once, split to each rung; the same fallback ladder as one chunk. */
  private async cutGroup(data: SegmentGroup, source: string, chunks: readonly string[], cwd: string, signal: AbortSignal): Promise<string> {
    const { segment } = data;
    if (this.deps.nullEncoder) {
      const nullEncoder = this.deps.nullEncoder;
      const paths = await Promise.all(data.tasks.map((t, i) => nullEncoder.segment({ ...data, rendition: t.rendition }, chunks[i])));
      return paths[0];
    }
    const outputs = data.tasks.map((t, i) => ({ rendition: t.rendition, output: chunks[i] }));
    const run = this.ffmpeg({ profile: outputs.map((o) => o.rendition.name).join('+'), durationSec: segment.durationSec, niceness: BACKGROUND_NICENESS, cwd, signal });
    return this.encode(data.tasks[0].rendition.codec, run, (path) =>
      buildSegmentGroupEncodeArgs({ input: source, outputs, segment, fps: data.fps, sourceHdr: data.sourceHdr, accel: path.accel, decode: path.decode }),
    );
  }

  /**
   * The chunk, from the decrypted source: the source's own packets when the plan found it
   * conforming (stream copy), else an encode down hw -> sw decode -> sw encode. Returns the
   * path taken, as recorded on the attempt.
   */
  private async cut(data: SegmentTask, source: string, chunk: string, cwd: string, signal: AbortSignal): Promise<string> {
    const { rendition, segment } = data;
    if (this.deps.nullEncoder) return this.deps.nullEncoder.segment(data, chunk);
    const run = this.ffmpeg({ profile: rendition.name, durationSec: segment.durationSec, niceness: nicenessFor(rendition.name), cwd, signal });
    if (rendition.streamCopy) {
      await run('ffmpeg.copy', 'copy', buildSegmentCopyArgs({ input: source, output: chunk, segment }));
      return 'copy';
    }
    return this.encode(rendition.codec, run, (path) =>
      buildSegmentEncodeArgs({ input: source, output: chunk, segment, fps: data.fps, rendition, sourceHdr: data.sourceHdr, accel: path.accel, decode: path.decode }),
    );
  }

  /** Down the fallback ladder, one span per try; returns the path taken, as recorded on the attempt. */
  private async encode(codec: RenditionSpec['codec'], run: FfmpegRun, argsFor: (path: EncodePath) => string[]): Promise<string> {
    const taken = await withEncoderFallback(this.deps.encodePaths, (path) => run('ffmpeg.encode', pathLabel(path), argsFor(path)));
    return describePathTaken(taken, encoderFor(codec, taken.path.accel).encoder);
  }

  /** One FFmpeg run of this chunk (or group) in its span, under the worker's timeout and the rung's CPU priority. */
  private ffmpeg(o: { profile: string; durationSec: number; niceness: number; cwd: string; signal: AbortSignal }): FfmpegRun {
    return (spanName, encoderPath, args) =>
      withSpan(spanName, { 'airlock.profile': o.profile, 'airlock.duration_class': durationClass(o.durationSec), 'airlock.encoder_path': encoderPath }, () =>
        runProcess('ffmpeg', args, { cwd: o.cwd, timeoutMs: this.deps.ffmpegTimeoutMs, signal: o.signal, niceness: o.niceness }),
      );
  }
}

type FfmpegRun = (spanName: string, encoderPath: string, args: string[]) => Promise<unknown>;

import { readFile } from 'node:fs/promises';
import { JobName, PayloadOf, TaskReport } from '@airlock/contracts';
import { buildSegmentCopyArgs, buildSegmentEncodeArgs, describePathTaken, encoderFor, packageVideoChunk, pathLabel, readInitFacts, runProcess, withEncoderFallback } from '@airlock/media';
import { durationClass } from '@airlock/domain';
import { JobContext } from '@airlock/queue';
import { withSpan } from '@airlock/telemetry';
import { runAttempt } from '../attempt/run-attempt';
import { classOf, measureFfmpeg } from '../metrics/ffmpeg-metrics';
import { fetchDecryptedSource } from '../grants/secure-source';
import { segmentEncryption } from '../output/segment-encryption';
import { nicenessFor } from './cpu-priority';
import { WorkerDeps } from './worker-deps';

/** One segment x one rendition: decrypt, encode the chunk on the CPU, package it as encrypted CMAF, upload by content hash. */
export class SegmentHandler {
  constructor(private readonly deps: WorkerDeps) {}

  async handle(data: PayloadOf<typeof JobName.SegmentTranscode>, ctx: JobContext): Promise<TaskReport> {
    const { rendition, segment } = data;
    const { attempt, result, cleanup } = await runAttempt(this.deps, ctx, data, async (ws, grant, signal) => {
      const source = ws.path('source');
      await fetchDecryptedSource(grant, source, data.sourceRanges);
      const chunk = ws.path('chunk.mp4');
      const encoderPath = await measureFfmpeg({ profile: rendition.name, mediaSec: segment.durationSec, workerClass: classOf(this.deps) }, () =>
        this.cut(data, source, chunk, ws.dir, signal),
      );
      const initPath = ws.path('init.mp4');
      const segPath = ws.path('segment.m4s');
      const encryption = segmentEncryption(grant, data.mediaId, rendition.name);
      await withSpan('package', {}, () => packageVideoChunk({ input: chunk, initOut: initPath, segmentOut: segPath, encryption }));
      const initFacts = readInitFacts(await readFile(initPath));
      const outputs = await this.deps.uploader.upload(grant, [
        { kind: 'init', rendition: rendition.name, segmentIndex: -1, path: initPath },
        { kind: 'media', rendition: rendition.name, segmentIndex: segment.index, path: segPath },
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
          encryption: { scheme: 'cbcs' as const, keyId: grant.outputKeyId },
        },
      };
    });
    return {
      taskId: data.taskId,
      ...attempt,
      encoderBuild: this.deps.encoderBuild,
      finishedAt: new Date().toISOString(),
      ...result,
      cleanup,
    };
  }

  /**
   * The chunk, from the decrypted source: the source's own packets when the plan found it
   * conforming (stream copy), else an encode down hw -> sw decode -> sw encode. Returns the
   * path taken, as recorded on the attempt.
   */
  private async cut(data: PayloadOf<typeof JobName.SegmentTranscode>, source: string, chunk: string, cwd: string, signal: AbortSignal): Promise<string> {
    const { rendition, segment } = data;
    if (this.deps.nullEncoder) return this.deps.nullEncoder.segment(data, chunk);
    const run = (args: string[]) => runProcess('ffmpeg', args, { cwd, timeoutMs: this.deps.ffmpegTimeoutMs, signal, niceness: nicenessFor(rendition.name) });
    const span = (path: string) => ({ 'airlock.profile': rendition.name, 'airlock.duration_class': durationClass(segment.durationSec), 'airlock.encoder_path': path });
    if (rendition.streamCopy) {
      await withSpan('ffmpeg.copy', span('copy'), () => run(buildSegmentCopyArgs({ input: source, output: chunk, segment })));
      return 'copy';
    }
    const taken = await withEncoderFallback(this.deps.encodePaths, (path) => {
      const args = buildSegmentEncodeArgs({ input: source, output: chunk, segment, fps: data.fps, rendition, sourceHdr: data.sourceHdr, accel: path.accel, decode: path.decode });
      return withSpan('ffmpeg.encode', span(pathLabel(path)), () => run(args));
    });
    return describePathTaken(taken, encoderFor(rendition.codec, taken.path.accel).encoder);
  }
}

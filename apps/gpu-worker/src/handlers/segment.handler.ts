import { readFile } from 'node:fs/promises';
import { JobName, PayloadOf, TaskReport } from '@airlock/contracts';
import { buildSegmentEncodeArgs, describePathTaken, encoderFor, packageVideoChunk, pathLabel, readInitFacts, runProcess, withEncoderFallback } from '@airlock/media';
import { durationClass } from '@airlock/domain';
import { JobContext } from '@airlock/queue';
import { withSpan } from '@airlock/telemetry';
import { runAttempt } from '../attempt/run-attempt';
import { fetchDecryptedSource } from '../grants/secure-source';
import { segmentEncryption } from '../output/segment-encryption';
import { WorkerDeps } from './worker-deps';

/** One segment x one rendition: decrypt, encode the chunk on the CPU, package it as encrypted CMAF, upload by content hash. */
export class SegmentHandler {
  constructor(private readonly deps: WorkerDeps) {}

  async handle(data: PayloadOf<typeof JobName.SegmentTranscode>, ctx: JobContext): Promise<TaskReport> {
    const { rendition, segment } = data;
    const { attempt, result, cleanup } = await runAttempt(this.deps, ctx, data, async (ws, grant) => {
      const source = ws.path('source');
      await fetchDecryptedSource(grant, source);
      const chunk = ws.path('chunk.mp4');
      // hw -> sw decode -> sw encode: the first path that runs is the one recorded on the attempt.
      const taken = await withEncoderFallback(this.deps.encodePaths, (path) => {
        const args = buildSegmentEncodeArgs({ input: source, output: chunk, segment, fps: data.fps, rendition, sourceHdr: data.sourceHdr, accel: path.accel, decode: path.decode });
        const span = { 'airlock.profile': rendition.name, 'airlock.duration_class': durationClass(segment.durationSec), 'airlock.encoder_path': pathLabel(path) };
        return withSpan('ffmpeg.encode', span, () => runProcess('ffmpeg', args, { cwd: ws.dir, timeoutMs: this.deps.ffmpegTimeoutMs }));
      });
      const initPath = ws.path('init.mp4');
      const segPath = ws.path('segment.m4s');
      const encryption = segmentEncryption(grant, data.mediaId, rendition.name);
      await packageVideoChunk({ input: chunk, initOut: initPath, segmentOut: segPath, encryption });
      const initFacts = readInitFacts(await readFile(initPath));
      const outputs = await this.deps.uploader.upload(grant, [
        { kind: 'init', rendition: rendition.name, segmentIndex: -1, path: initPath },
        { kind: 'media', rendition: rendition.name, segmentIndex: segment.index, path: segPath },
      ]);
      return {
        outputs,
        encoderPath: describePathTaken(taken, encoderFor(rendition.codec, taken.path.accel).encoder),
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
}

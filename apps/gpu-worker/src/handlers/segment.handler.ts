import { readFile } from 'node:fs/promises';
import { JobName, PayloadOf, TaskReport } from '@airlock/contracts';
import { buildSegmentEncodeArgs, packageVideoChunk, readInitFacts, runProcess } from '@airlock/media';
import { JobContext } from '@airlock/queue';
import { beginAttempt } from '../attempt/attempt-context';
import { withWorkspace } from '../attempt/attempt-workspace';
import { WorkerDeps } from './worker-deps';

/** One segment x one rendition: encode the chunk on the CPU, package it as CMAF, upload by content hash. */
export class SegmentHandler {
  constructor(private readonly deps: WorkerDeps) {}

  async handle(data: PayloadOf<typeof JobName.SegmentTranscode>, ctx: JobContext): Promise<TaskReport> {
    const attempt = beginAttempt(this.deps.workerId, ctx);
    const { rendition, segment } = data;
    const { result, cleanup } = await withWorkspace(this.deps.tempRoot, attempt.attemptId, async (ws) => {
      const source = ws.path('source');
      await this.deps.store.getToFile(data.sourceKey, source);
      const chunk = ws.path('chunk.mp4');
      const args = buildSegmentEncodeArgs({ input: source, output: chunk, segment, fps: data.fps, rendition, accel: 'cpu' });
      await runProcess('ffmpeg', args, { cwd: ws.dir, timeoutMs: this.deps.ffmpegTimeoutMs });
      const initPath = ws.path('init.mp4');
      const segPath = ws.path('segment.m4s');
      await packageVideoChunk({ input: chunk, initOut: initPath, segmentOut: segPath });
      const initFacts = readInitFacts(await readFile(initPath));
      const init = await this.deps.uploader.uploadInit(data.mediaId, rendition.name, initPath);
      const media = await this.deps.uploader.uploadSegment(data.mediaId, rendition.name, segment.index, initFacts.timescale, segPath);
      return {
        outputs: [init, media],
        stream: {
          rendition: rendition.name,
          type: 'video' as const,
          codecs: initFacts.codecs,
          width: rendition.width,
          height: rendition.height,
          fps: data.fps,
          bitrateKbps: rendition.bitrateKbps,
        },
      };
    });
    return {
      taskId: data.taskId,
      ...attempt,
      encoderPath: rendition.codec === 'h264' ? 'cpu:libx264' : 'cpu:libx265',
      encoderBuild: this.deps.encoderBuild,
      finishedAt: new Date().toISOString(),
      ...result,
      cleanup,
    };
  }
}

import { readFile } from 'node:fs/promises';
import { AUDIO_PROFILE, AUDIO_RENDITION } from '@airlock/domain';
import { JobName, PayloadOf, TaskReport } from '@airlock/contracts';
import { buildAudioEncodeArgs, packageAudio, readInitFacts, runProcess } from '@airlock/media';
import { JobContext } from '@airlock/queue';
import { beginAttempt } from '../attempt/attempt-context';
import { withWorkspace } from '../attempt/attempt-workspace';
import { WorkerDeps } from './worker-deps';

/** Audio is encoded once for the whole file (no clicks at chunk joins), then cut into segments. */
export class AudioHandler {
  static readonly SEGMENT_SEC = 6;

  constructor(private readonly deps: WorkerDeps) {}

  async handle(data: PayloadOf<typeof JobName.AudioTranscode>, ctx: JobContext): Promise<TaskReport> {
    const attempt = beginAttempt(this.deps.workerId, ctx);
    const { result, cleanup } = await withWorkspace(this.deps.tempRoot, attempt.attemptId, async (ws) => {
      const source = ws.path('source');
      await this.deps.store.getToFile(data.sourceKey, source);
      const encoded = ws.path('audio.mp4');
      await runProcess('ffmpeg', buildAudioEncodeArgs({ input: source, output: encoded }), { cwd: ws.dir, timeoutMs: this.deps.ffmpegTimeoutMs });
      const packaged = await packageAudio({ input: encoded, outDir: ws.path('packaged'), segmentSec: AudioHandler.SEGMENT_SEC });
      const initFacts = readInitFacts(await readFile(packaged.init));
      const init = await this.deps.uploader.uploadInit(data.mediaId, AUDIO_RENDITION, packaged.init);
      const segments = [];
      for (const [index, path] of packaged.segments.entries()) {
        segments.push(await this.deps.uploader.uploadSegment(data.mediaId, AUDIO_RENDITION, index, initFacts.timescale, path));
      }
      return {
        outputs: [init, ...segments],
        stream: {
          rendition: AUDIO_RENDITION,
          type: 'audio' as const,
          codecs: initFacts.codecs,
          bitrateKbps: AUDIO_PROFILE.bitrateKbps,
          sampleRate: AUDIO_PROFILE.sampleRate,
          channels: 2,
        },
      };
    });
    return {
      taskId: data.taskId,
      ...attempt,
      encoderPath: 'cpu:aac',
      encoderBuild: this.deps.encoderBuild,
      finishedAt: new Date().toISOString(),
      ...result,
      cleanup,
    };
  }
}

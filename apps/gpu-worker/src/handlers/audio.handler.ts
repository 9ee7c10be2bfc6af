import { readFile } from 'node:fs/promises';
import { AUDIO_PROFILE, AUDIO_RENDITION, durationClass } from '@airlock/domain';
import { JobName, PayloadOf, TaskReport } from '@airlock/contracts';
import { buildAudioEncodeArgs, packageAudio, readInitFacts, runProcess } from '@airlock/media';
import { JobContext } from '@airlock/queue';
import { withSpan } from '@airlock/telemetry';
import { runAttempt } from '../attempt/run-attempt';
import { classOf, measureFfmpeg } from '../metrics/ffmpeg-metrics';
import { fetchDecryptedSource } from '../grants/secure-source';
import { segmentEncryption } from '../output/segment-encryption';
import { BACKGROUND_NICENESS } from './cpu-priority';
import { WorkerDeps } from './worker-deps';

/** Audio is encoded once for the whole file (no clicks at chunk joins), then cut into segments the uploader encrypts. */
export class AudioHandler {
  static readonly SEGMENT_SEC = 6;

  constructor(private readonly deps: WorkerDeps) {}

  async handle(data: PayloadOf<typeof JobName.AudioTranscode>, ctx: JobContext): Promise<TaskReport> {
    const { attempt, result, cleanup } = await runAttempt(this.deps, ctx, data, async (ws, grant, signal) => {
      const source = ws.path('source');
      await fetchDecryptedSource(grant, source);
      const encoded = ws.path('audio.mp4');
      const span = { 'airlock.profile': AUDIO_RENDITION, 'airlock.duration_class': durationClass(data.durationSec), 'airlock.encoder_path': 'cpu' };
      await measureFfmpeg<unknown>({ profile: AUDIO_RENDITION, mediaSec: data.durationSec, workerClass: classOf(this.deps) }, () =>
        this.deps.nullEncoder ? this.deps.nullEncoder.audio(data.durationSec, encoded) : withSpan('ffmpeg.encode', span, () => runProcess('ffmpeg', buildAudioEncodeArgs({ input: source, output: encoded }), { cwd: ws.dir, timeoutMs: this.deps.ffmpegTimeoutMs, signal, niceness: BACKGROUND_NICENESS })),
      );
      const packaged = await packageAudio({ input: encoded, outDir: ws.path('packaged'), segmentSec: AudioHandler.SEGMENT_SEC });
      const initFacts = readInitFacts(await readFile(packaged.init));
      const outputs = await this.deps.uploader.upload(grant, [
        { kind: 'init', rendition: AUDIO_RENDITION, segmentIndex: -1, path: packaged.init },
        ...packaged.segments.map((path, index) => ({ kind: 'media' as const, rendition: AUDIO_RENDITION, segmentIndex: index, path })),
      ]);
      return {
        outputs,
        stream: {
          rendition: AUDIO_RENDITION,
          type: 'audio' as const,
          codecs: initFacts.codecs,
          bitrateKbps: AUDIO_PROFILE.bitrateKbps,
          sampleRate: AUDIO_PROFILE.sampleRate,
          channels: 2,
          encryption: segmentEncryption(grant),
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

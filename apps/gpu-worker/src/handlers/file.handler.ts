import { JobName, PayloadOf, TaskReport } from '@airlock/contracts';
import { durationClass, findFileProfile } from '@airlock/domain';
import { buildFileOutputArgs, runProcess } from '@airlock/media';
import { JobContext, TerminalError } from '@airlock/queue';
import { withSpan } from '@airlock/telemetry';
import { runAttempt } from '../attempt/run-attempt';
import { classOf, measureFfmpeg } from '../metrics/ffmpeg-metrics';
import { fetchDecryptedSource } from '../grants/secure-source';
import { sealBlob } from '../output/blob-seal';
import { BACKGROUND_NICENESS } from './cpu-priority';
import { WorkerDeps } from './worker-deps';

/** One chat file (poster, animated preview, normalized MP4): decrypt, render on the CPU, seal as a blob, upload by content hash. */
export class FileHandler {
  constructor(private readonly deps: WorkerDeps) {}

  async handle(data: PayloadOf<typeof JobName.FileTranscode>, ctx: JobContext): Promise<TaskReport> {
    const profile = findFileProfile(data.profile);
    if (!profile) throw new TerminalError('unknown_profile', `no chat file profile named ${data.profile}`);
    const { attempt, result, cleanup } = await runAttempt(this.deps, ctx, data, async (ws, grant, signal) => {
      const source = ws.path('source');
      await fetchDecryptedSource(grant, source);
      const plain = ws.path(`${profile.name}.${profile.ext}`);
      const args = buildFileOutputArgs({ input: source, output: plain, profile, width: data.width, height: data.height, fps: data.fps, durationSec: data.durationSec, sourceHdr: data.sourceHdr });
      const span = { 'airlock.profile': profile.name, 'airlock.duration_class': durationClass(data.durationSec), 'airlock.encoder_path': 'cpu' };
      await measureFfmpeg<unknown>({ profile: profile.name, mediaSec: data.durationSec, workerClass: classOf(this.deps) }, () =>
        this.deps.nullEncoder ? this.deps.nullEncoder.file(profile.kind, plain) : withSpan('ffmpeg.file', span, () => runProcess('ffmpeg', args, { cwd: ws.dir, timeoutMs: this.deps.ffmpegTimeoutMs, signal, niceness: BACKGROUND_NICENESS })),
      );
      const sealed = ws.path(`${profile.name}.sealed`);
      await sealBlob(plain, sealed, grant.outputKey);
      const playsMs = profile.kind === 'poster' ? 0 : Math.round(1000 * (profile.kind === 'animated' ? Math.min(profile.maxSec, data.durationSec) : data.durationSec));
      const outputs = await this.deps.uploader.upload(grant, [{ kind: 'file', rendition: profile.name, segmentIndex: 0, path: sealed, durationMs: playsMs }]);
      return {
        outputs,
        stream: {
          rendition: profile.name,
          type: 'file' as const,
          codecs: profile.contentType,
          width: data.width,
          height: data.height,
          bitrateKbps: profile.kind === 'mp4' ? profile.bitrateKbps : 0,
          encryption: { scheme: 'blob-aes256gcm' as const, keyId: grant.outputKeyId },
        },
      };
    });
    return {
      taskId: data.taskId,
      ...attempt,
      encoderPath: profile.kind === 'poster' ? 'cpu:mjpeg' : profile.kind === 'animated' ? 'cpu:libwebp_anim' : 'cpu:libx264',
      encoderBuild: this.deps.encoderBuild,
      finishedAt: new Date().toISOString(),
      ...result,
      cleanup,
    };
  }
}

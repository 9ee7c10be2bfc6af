import { JobName, PayloadOf, ProbeJobResult } from '@airlock/contracts';
import { probeFile } from '@airlock/media';
import { JobContext } from '@airlock/queue';
import { withSpan } from '@airlock/telemetry';
import { runAttempt } from '../attempt/run-attempt';
import { fetchDecryptedSource, SourceRejected } from '../grants/secure-source';
import { WorkerDeps } from './worker-deps';

/**
 * Probe the source before any compute is spent on it. Bad media is an answer, not an
 * error: it returns a terminal reason so the planner fails the media at once, unretried.
 * Either answer names the attempt that gave it.
 */
export class ProbeHandler {
  constructor(private readonly deps: WorkerDeps) {}

  async handle(data: PayloadOf<typeof JobName.MediaProbe>, ctx: JobContext): Promise<ProbeJobResult> {
    const { result, attempt } = await runAttempt(this.deps, ctx, data, async (ws, grant) => {
      const source = ws.path('source');
      try {
        await fetchDecryptedSource(grant, source);
      } catch (e) {
        if (e instanceof SourceRejected) return { ok: false as const, code: e.code, message: e.message };
        throw e;
      }
      if (this.deps.nullEncoder?.probe) return { ok: true as const, probe: this.deps.nullEncoder.probe };
      return withSpan('ffprobe', {}, () => probeFile(source, { timeoutMs: this.deps.ffmpegTimeoutMs }));
    });
    // The planner records this attempt as the probe task's winner.
    return { ...result, attemptId: attempt.attemptId };
  }
}

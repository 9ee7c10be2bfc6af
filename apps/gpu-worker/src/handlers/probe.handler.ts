import { JobName, PayloadOf, ProbeOutcome } from '@airlock/contracts';
import { probeFile } from '@airlock/media';
import { JobContext } from '@airlock/queue';
import { sha256File } from '@airlock/storage';
import { beginAttempt } from '../attempt/attempt-context';
import { withWorkspace } from '../attempt/attempt-workspace';
import { WorkerDeps } from './worker-deps';

/**
 * Probe the source before any compute is spent on it. Bad media is an answer, not an
 * error: it returns a terminal reason so the planner fails the media at once, unretried.
 */
export class ProbeHandler {
  constructor(private readonly deps: WorkerDeps) {}

  async handle(data: PayloadOf<typeof JobName.MediaProbe>, ctx: JobContext): Promise<ProbeOutcome> {
    const attempt = beginAttempt(this.deps.workerId, ctx);
    const { result } = await withWorkspace(this.deps.tempRoot, attempt.attemptId, async (ws) => {
      const source = ws.path('source');
      await this.deps.store.getToFile(data.sourceKey, source);
      const expected = data.sourceKey.split('/').pop();
      if ((await sha256File(source)) !== expected) {
        return { ok: false as const, code: 'source_mismatch', message: 'The uploaded bytes do not match the declared sha256.' };
      }
      return probeFile(source, { timeoutMs: this.deps.ffmpegTimeoutMs });
    });
    return result;
  }
}

import { JobContext, TerminalError } from '@airlock/queue';
import { WorkerDeps } from '../handlers/worker-deps';
import { AttemptGrant } from '../grants/grant-client';
import { SourceRejected } from '../grants/secure-source';
import { AttemptInfo, beginAttempt } from './attempt-context';
import { AttemptWorkspace, CleanupReceipt } from './attempt-workspace';
import { startHeartbeat } from './heartbeat';

export interface AttemptRun<T> {
  readonly attempt: AttemptInfo;
  readonly result: T;
  readonly cleanup: CleanupReceipt & { grantReleased: boolean };
}

/**
 * The narrow exception to the plaintext boundary, in one place: a grant for this attempt only,
 * a private directory, heartbeats while it works (an answer of "stop" aborts its processes), and
 * a finally that wipes the directory, zeroes the keys and releases the grant with the outcome,
 * on success and on failure alike.
 */
export async function runAttempt<T>(
  deps: WorkerDeps,
  ctx: JobContext,
  ids: { mediaId: string; jobId: string; taskId: string; keyTtlSec: number },
  work: (ws: AttemptWorkspace, grant: AttemptGrant, signal: AbortSignal) => Promise<T>,
): Promise<AttemptRun<T>> {
  const attempt = beginAttempt(deps.workerId, ctx);
  const grant = await deps.grants.acquire(
    { attemptId: attempt.attemptId, mediaId: ids.mediaId, jobId: ids.jobId, taskId: ids.taskId },
    ids.keyTtlSec,
    { queue: ctx.queue, id: ctx.jobId },
  );
  const heartbeat = startHeartbeat(grant, deps.heartbeatMs);
  let ws: AttemptWorkspace | undefined;
  let receipt: CleanupReceipt | undefined;
  try {
    ws = await AttemptWorkspace.open(deps.tempRoot, attempt.attemptId);
    const result = await work(ws, grant, heartbeat.signal);
    heartbeat.stop();
    receipt = await ws.cleanup();
    grant.wipe();
    return { attempt, result, cleanup: { ...receipt, grantReleased: await grant.release({ ok: true }) } };
  } catch (e) {
    if (heartbeat.stopReason) throw new TerminalError(heartbeat.stopReason, `the api stopped this attempt: ${heartbeat.stopReason}`);
    if (e instanceof SourceRejected) throw new TerminalError(e.code, e.message);
    throw e;
  } finally {
    heartbeat.stop();
    if (!receipt) {
      try {
        await ws?.cleanup();
      } finally {
        // Even if the wipe itself failed: keys zeroed, grant released.
        grant.wipe();
        await grant.release({ ok: false, code: heartbeat.stopReason ?? 'attempt_failed' });
      }
    }
  }
}

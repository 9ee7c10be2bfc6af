import { JobContext, TerminalError } from '@airlock/queue';
import { withSpan } from '@airlock/telemetry';
import { WorkerDeps } from '../handlers/worker-deps';
import { AttemptGrant } from '../grants/grant-client';
import { SourceRejected } from '../grants/secure-source';
import { AttemptInfo, beginAttempt } from './attempt-context';
import { AttemptWorkspace, CleanupReceipt } from './attempt-workspace';
import { startHeartbeat } from './heartbeat';

export interface AttemptRun<T> {
  /** Goes into the report as it is: who tried, and the encrypted source it consumed. */
  readonly attempt: AttemptInfo & { readonly inputSha256: string };
  readonly result: T;
  readonly cleanup: CleanupReceipt & { grantReleased: boolean };
}

/**
 * The narrow exception to the plaintext boundary, in one place: a grant for this attempt only,
 * a private directory, heartbeats while it works (an answer of "stop" aborts its processes), and
 * a finally that wipes the directory, zeroes the keys and releases the grant with the outcome,
 * on success and on failure alike. A shutdown past its grace period (ctx.shutdown) aborts the
 * work the same way and closes the attempt as `worker_shutdown`.
 */
export async function runAttempt<T>(
  deps: WorkerDeps,
  ctx: JobContext,
  ids: { mediaId: string; jobId: string; taskId: string; keyTtlSec: number },
  work: (ws: AttemptWorkspace, grant: AttemptGrant, signal: AbortSignal) => Promise<T>,
): Promise<AttemptRun<T>> {
  const attempt = beginAttempt(deps.workerId, ctx);
  const grant = await withSpan('grant.acquire', {}, () =>
    deps.grants.acquire({ attemptId: attempt.attemptId, mediaId: ids.mediaId, jobId: ids.jobId, taskId: ids.taskId }, ids.keyTtlSec, { queue: ctx.queue, id: ctx.jobId }),
  );
  const heartbeat = startHeartbeat(grant, deps.heartbeatMs);
  // The api's "stop" and the end of the shutdown grace period both kill the attempt's processes.
  const signal = ctx.shutdown ? AbortSignal.any([heartbeat.signal, ctx.shutdown]) : heartbeat.signal;
  let ws: AttemptWorkspace | undefined;
  let receipt: CleanupReceipt | undefined;
  try {
    ws = await AttemptWorkspace.open(deps.tempRoot, attempt.attemptId);
    const result = await work(ws, grant, signal);
    heartbeat.stop();
    receipt = await ws.cleanup();
    grant.wipe();
    return { attempt: { ...attempt, inputSha256: grant.source.sha256 }, result, cleanup: { ...receipt, grantReleased: await withSpan('grant.release', {}, () => grant.release({ ok: true })) } };
  } catch (e) {
    // Stopped by the api: its media finished, its grant was revoked or its task taken over. Not
    // wanted any more, so nothing for the dead-letter queue.
    if (heartbeat.stopReason) throw new TerminalError(heartbeat.stopReason, `the api stopped this attempt: ${heartbeat.stopReason}`, { deadLetter: false });
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
        // A shutdown closes the attempt as worker_shutdown; its queue job goes back untried (WorkerHost).
        await grant.release({ ok: false, code: heartbeat.stopReason ?? (ctx.shutdown?.aborted ? 'worker_shutdown' : 'attempt_failed') });
      }
    }
  }
}

/** One attempt's workspace and grant, inside runAttempts. */
export interface HeldAttempt {
  readonly ws: AttemptWorkspace;
  readonly grant: AttemptGrant;
}

/**
 * Several tasks worked on together (a segment's rungs in one FFmpeg run), each still its own
 * attempt: its own grant, heartbeats, private directory, cleanup receipt and release, exactly
 * as runAttempt gives one task. The attempts are opened one inside the other, so the work runs
 * with every grant held and a failure anywhere closes them all. `work` returns one result per
 * task, in order; a "stop" for any one of them aborts the shared work.
 */
export async function runAttempts<T>(
  deps: WorkerDeps,
  ctx: JobContext,
  ids: readonly { mediaId: string; jobId: string; taskId: string; keyTtlSec: number }[],
  work: (held: readonly HeldAttempt[], signal: AbortSignal) => Promise<T[]>,
): Promise<AttemptRun<T>[]> {
  interface Opened {
    readonly results: T[];
    readonly runs: AttemptRun<T>[];
  }
  const open = async (i: number, held: HeldAttempt[], signals: AbortSignal[]): Promise<Opened> => {
    const run = await runAttempt(deps, ctx, ids[i], async (ws, grant, signal): Promise<Opened> => {
      const now = [...held, { ws, grant }];
      const all = [...signals, signal];
      if (i < ids.length - 1) return open(i + 1, now, all);
      const results = await work(now, AbortSignal.any(all));
      if (results.length !== ids.length) throw new Error(`the work returned ${results.length} results for ${ids.length} tasks`);
      return { results, runs: [] };
    });
    return { results: run.result.results, runs: [{ attempt: run.attempt, result: run.result.results[i], cleanup: run.cleanup }, ...run.result.runs] };
  };
  return (await open(0, [], [])).runs;
}

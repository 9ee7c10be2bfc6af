import { AttemptGrant } from '../grants/grant-client';

export interface Heartbeat {
  /** Fires when the api answers that the attempt must stop; ffmpeg runs are killed on it. */
  readonly signal: AbortSignal;
  /** Why the api stopped the attempt (a reason code), once it has. */
  readonly stopReason: string | undefined;
  stop(): void;
}

/**
 * Tells the api the attempt is alive every `everyMs`. A verdict of "stop" (media deleted,
 * grant revoked, task given to another attempt) aborts the attempt's work at once. A heartbeat
 * that cannot reach the api is no verdict: silence is the orchestrator watchdog's to judge.
 */
export function startHeartbeat(grant: Pick<AttemptGrant, 'heartbeat'>, everyMs: number): Heartbeat {
  const controller = new AbortController();
  let stopReason: string | undefined;
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    grant
      .heartbeat()
      .then((verdict) => {
        if (verdict.live || controller.signal.aborted) return;
        stopReason = verdict.reason ?? 'attempt_stopped';
        controller.abort(new Error(stopReason));
      })
      .catch(() => undefined)
      .finally(() => {
        inFlight = false;
      });
  }, everyMs);
  timer.unref();
  return {
    signal: controller.signal,
    get stopReason() {
      return stopReason;
    },
    stop: () => clearInterval(timer),
  };
}

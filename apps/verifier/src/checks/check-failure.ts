/**
 * One thing the verifier refused, with a reason code from a closed vocabulary (metrics and
 * the timeline count by it) and, when one attempt's report or output is to blame, that attempt:
 * its task runs again elsewhere and its worker is quarantined.
 */
export interface CheckFailure {
  readonly reason: string;
  readonly detail: string;
  readonly attemptId?: string;
  /** The object concerned, when there is one. */
  readonly key?: string;
  /** `false`: redo the attempt's task without blaming its worker (a tie to be broken). */
  readonly quarantine?: false;
}

export const failureText = (f: CheckFailure): string => `${f.reason}: ${f.detail}`;

/** Why an attempt with sound output is rejected anyway: its worker was caught lying elsewhere in the job. */
export const UNTRUSTED_WORKER = 'worker_untrusted';

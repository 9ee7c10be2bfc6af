import { UnrecoverableError } from 'bullmq';

/** Thrown by a handler when retrying cannot help (corrupt input, a broken invariant). */
export class TerminalError extends UnrecoverableError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'TerminalError';
  }
}

/**
 * Thrown by a handler when this worker must not do the work now (it is quarantined): the job
 * goes back to the queue for another worker, no try counted, and this worker stops taking jobs
 * for `retryAfterMs`.
 */
export class StandDownError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(`${code}: ${message}`);
    this.name = 'StandDownError';
  }
}

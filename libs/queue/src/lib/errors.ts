import { UnrecoverableError } from 'bullmq';

/**
 * Thrown by a handler when retrying cannot help (corrupt input, a broken invariant). With
 * `deadLetter: false` the work is simply no longer wanted (its media finished, its grant was
 * revoked): the job fails without a try more and leaves no dead letter for an operator.
 */
export class TerminalError extends UnrecoverableError {
  constructor(
    readonly code: string,
    message: string,
    readonly options: { readonly deadLetter?: boolean } = {},
  ) {
    super(`${code}: ${message}`);
    this.name = 'TerminalError';
  }
}

/**
 * Thrown by a handler when this worker must not do this work (it is quarantined, or the task
 * needs another worker): the job goes back to the queue, no try counted, after `delayMs`; with
 * `standDownMs` this worker also takes no jobs for that long.
 */
export class HandBackError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly options: { readonly delayMs?: number; readonly standDownMs?: number } = {},
  ) {
    super(`${code}: ${message}`);
    this.name = 'HandBackError';
  }
}

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

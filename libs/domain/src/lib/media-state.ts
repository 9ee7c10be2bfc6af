/** Media states as the chat backend sees them (DESIGN section 4). */
export const MEDIA_STATES = [
  'created',
  'uploaded',
  'queued',
  'processing',
  'preview_ready',
  'verifying',
  'ready',
  'failed_retryable',
  'failed_terminal',
  'expired',
  'deleted',
] as const;
export type MediaState = (typeof MEDIA_STATES)[number];

const FAILURES: MediaState[] = ['failed_retryable', 'failed_terminal'];

/**
 * The only allowed moves. Every transition is one guarded write (`WHERE state IN from`),
 * so a duplicate or stale caller changes nothing. `deleted` has no way out.
 */
const TRANSITIONS: Record<MediaState, readonly MediaState[]> = {
  // expired: never uploaded within the upload URL's lifetime and its grace (the sweeper).
  created: ['uploaded', 'failed_terminal', 'expired', 'deleted'],
  uploaded: ['queued', 'failed_terminal', 'deleted'],
  queued: ['processing', ...FAILURES, 'deleted'],
  processing: ['preview_ready', 'verifying', ...FAILURES, 'deleted'],
  preview_ready: ['verifying', ...FAILURES, 'deleted'],
  verifying: ['ready', ...FAILURES, 'deleted'],
  ready: ['expired', 'deleted'],
  failed_retryable: ['queued', 'failed_terminal', 'deleted'],
  failed_terminal: ['deleted'],
  expired: ['deleted'],
  deleted: [],
};

export function canTransition(from: MediaState, to: MediaState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** States from which a move to `to` is legal: the WHERE clause of the guarded write. */
export function sourcesOf(to: MediaState): MediaState[] {
  return MEDIA_STATES.filter((from) => canTransition(from, to));
}

/**
 * States in which the media's processing is over: grants are revoked, attempts closed, and a
 * stage that arrives late (a preview verified after `ready`, a record step of a deleted media)
 * does nothing. `failed_retryable` leaves it only through a re-drive.
 */
export const PROCESSING_OVER: readonly MediaState[] = ['ready', 'failed_retryable', 'failed_terminal', 'expired', 'deleted'];

export function isProcessingOver(state: MediaState): boolean {
  return PROCESSING_OVER.includes(state);
}

export function isTerminal(state: MediaState): boolean {
  return state === 'ready' || state === 'failed_terminal' || state === 'expired' || state === 'deleted';
}

/** Wording for recipients' apps (DESIGN section 4). */
export function recipientStatus(state: MediaState): string {
  switch (state) {
    case 'created':
    case 'uploaded':
    case 'queued':
    case 'processing':
    case 'verifying':
      return 'Preparing video';
    case 'preview_ready':
      return 'Preview available';
    case 'ready':
      return 'Downloading secure media';
    case 'failed_retryable':
      return 'Preparing video';
    case 'failed_terminal':
      return 'Playback unsupported on this device';
    case 'expired':
      return 'Video expired';
    case 'deleted':
      return 'Sender removed this media';
  }
}

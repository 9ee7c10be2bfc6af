import { canTransition, isTerminal, MEDIA_STATES, MediaState, recipientStatus, sourcesOf } from './media-state';

describe('media state machine', () => {
  it('gives deleted no way out', () => {
    for (const to of MEDIA_STATES) expect(canTransition('deleted', to)).toBe(false);
    expect(sourcesOf('created')).toEqual([]);
  });

  it('lets every other state be deleted', () => {
    expect(sourcesOf('deleted')).toEqual(MEDIA_STATES.filter((s) => s !== 'deleted'));
  });

  it('reaches ready only from verifying', () => {
    expect(sourcesOf('ready')).toEqual(['verifying']);
    expect(canTransition('processing', 'ready')).toBe(false);
    expect(canTransition('preview_ready', 'ready')).toBe(false);
  });

  it('has no self transitions', () => {
    for (const s of MEDIA_STATES) expect(canTransition(s, s)).toBe(false);
  });

  it('follows the happy path', () => {
    const path: MediaState[] = ['created', 'uploaded', 'queued', 'processing', 'preview_ready', 'verifying', 'ready', 'expired', 'deleted'];
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1], path[i])).toBe(true);
  });

  it('expires a ready media (retention) or one never uploaded (upload window), nothing in between', () => {
    expect(sourcesOf('expired')).toEqual(['created', 'ready']);
  });

  it('retries only from failed_retryable back to queued', () => {
    expect(sourcesOf('queued')).toEqual(['uploaded', 'failed_retryable']);
    expect(canTransition('failed_terminal', 'queued')).toBe(false);
  });

  it('never moves backwards out of ready', () => {
    for (const to of MEDIA_STATES) {
      expect(canTransition('ready', to)).toBe(to === 'expired' || to === 'deleted');
    }
  });

  it('sourcesOf is the inverse of canTransition', () => {
    for (const to of MEDIA_STATES) {
      for (const from of MEDIA_STATES) expect(sourcesOf(to).includes(from)).toBe(canTransition(from, to));
    }
  });

  it('marks ready, failed_terminal, expired and deleted terminal', () => {
    expect(MEDIA_STATES.filter(isTerminal)).toEqual(['ready', 'failed_terminal', 'expired', 'deleted']);
  });

  it('has a recipient status for every state', () => {
    for (const s of MEDIA_STATES) {
      expect(typeof recipientStatus(s)).toBe('string');
      expect(recipientStatus(s).length).toBeGreaterThan(0);
    }
    expect(recipientStatus('processing')).toBe('Preparing video');
    expect(recipientStatus('failed_retryable')).toBe('Preparing video');
    expect(recipientStatus('preview_ready')).toBe('Preview available');
    expect(recipientStatus('deleted')).toBe('Sender removed this media');
  });
});

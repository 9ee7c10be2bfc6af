import { StateReporter, type PlayerState } from './player-state';

describe('StateReporter', () => {
  it('reports each change once and nothing after failed', () => {
    const seen: PlayerState[] = [];
    const r = new StateReporter((s) => seen.push(s));
    expect(r.set({ state: 'loading' })).toBe(false);
    r.set({ state: 'playing', rendition: '360p' });
    r.set({ state: 'playing', rendition: '360p' });
    r.set({ state: 'playing', rendition: '720p' });
    r.set({ state: 'failed', reason: 'key_wrong', detail: 'x' });
    r.set({ state: 'ended' });
    expect(seen).toEqual([
      { state: 'playing', rendition: '360p' },
      { state: 'playing', rendition: '720p' },
      { state: 'failed', reason: 'key_wrong', detail: 'x' },
    ]);
    expect(r.state.state).toBe('failed');
  });
});

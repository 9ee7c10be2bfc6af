import { chooseFormat } from './format-choice';
import type { AirlockPlayerError } from './player-state';

describe('chooseFormat', () => {
  const mse = { mediaSource: true, nativeHls: false };
  it('takes HLS through hls.js where MediaSource exists, and honours an explicit format', () => {
    expect(chooseFormat('auto', mse)).toBe('hls');
    expect(chooseFormat('auto', { mediaSource: true, nativeHls: true })).toBe('hls');
    expect(chooseFormat('dash', mse)).toBe('dash');
    expect(chooseFormat('hls', mse)).toBe('hls');
  });

  it('refuses a browser without MediaSource, even one that plays HLS natively (it cannot be handed the key)', () => {
    for (const req of ['auto', 'hls', 'dash'] as const) {
      let err: AirlockPlayerError | undefined;
      try {
        chooseFormat(req, { mediaSource: false, nativeHls: true });
      } catch (e) {
        err = e as AirlockPlayerError;
      }
      expect(err?.reason).toBe('unsupported_browser');
      expect(err?.detail).toMatch(/natively/);
    }
  });
});

import { pinnedPlayProblems } from './play-each-rung';
import type { PlayResult } from './player';

function played(over: Partial<PlayResult> = {}): PlayResult {
  return {
    format: 'hls',
    states: [],
    failure: undefined,
    reachedEnd: true,
    advanced: true,
    stalls: [],
    renditionsShown: ['360p'],
    frameSizes: ['640x360'],
    renditions: ['180p', '360p'],
    segments: [-1, 0, 1].flatMap((index) => [
      { rendition: '360p', index },
      { rendition: 'audio', index },
    ]),
    duration: 4,
    currentTime: 4,
    timedOut: false,
    elapsedMs: 5000,
    warnings: [],
    ...over,
  };
}

describe('pinnedPlayProblems', () => {
  const rung = { id: '360p', width: 640, height: 360, segments: 2 };

  it('finds nothing wrong with a rung played through', () => {
    expect(pinnedPlayProblems(played(), rung, 2)).toEqual([]);
  });

  it('names every way a pinned play went wrong', () => {
    const result = played({
      failure: { reason: 'key_wrong', detail: 'bad padding' },
      reachedEnd: false,
      currentTime: 1.5,
      stalls: [{ state: 'stalled', atMs: 2100, forMs: 3100 }],
      renditionsShown: ['360p', '180p'],
      frameSizes: ['640x360', '320x180'],
      segments: [
        { rendition: '360p', index: -1 },
        { rendition: '360p', index: 0 },
        { rendition: '180p', index: 1 },
      ],
    });
    expect(pinnedPlayProblems(result, rung, 2)).toEqual([
      'failed: key_wrong (bad padding)',
      'stalled at 2100 ms',
      'did not reach the end (at 1.5 s)',
      'showed 360p, 180p',
      'frame sizes 640x360, 320x180',
      'not loaded: 360p/1, audio/init, audio/0, audio/1',
      'also loaded 180p',
    ]);
  });

  it('takes a display size within a pixel of the coded size as the rung (sample aspect ratio rounding)', () => {
    const r240 = { id: '240p', width: 426, height: 240, segments: 2 };
    const result = played({
      renditionsShown: ['240p'],
      frameSizes: ['427x240'],
      segments: [-1, 0, 1].map((index) => ({ rendition: '240p', index })),
    });
    expect(pinnedPlayProblems(result, r240, undefined)).toEqual([]);
    expect(
      pinnedPlayProblems(
        { ...result, frameSizes: ['428x240'] },
        r240,
        undefined,
      ),
    ).toEqual(['frame sizes 428x240']);
    expect(
      pinnedPlayProblems({ ...result, frameSizes: [] }, r240, undefined),
    ).toEqual(['frame sizes none']);
  });

  it('expects no audio for a media without it', () => {
    const result = played({
      segments: [-1, 0, 1].map((index) => ({ rendition: '360p', index })),
    });
    expect(pinnedPlayProblems(result, rung, undefined)).toEqual([]);
  });
});

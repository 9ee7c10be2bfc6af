import { LANES, WORK_LANES, workLaneFor } from './lanes';
import { AUDIO_RENDITION } from './job-state';
import { FILE_PROFILES, isHeavyRendition, PREVIEW_PROFILE, VIDEO_PROFILES } from './profiles';
import { isHardwareClass, lanesServed, WORKER_CLASSES } from './worker-class';

describe('cost classes', () => {
  it('calls the 4K, HEVC and HDR rungs heavy and the H.264 SDR rungs light', () => {
    expect(VIDEO_PROFILES.filter((p) => p.cost === 'heavy').map((p) => p.name)).toEqual(['1080p_hdr', '2160p', '2160p_hdr']);
    for (const p of VIDEO_PROFILES) expect(p.cost === 'heavy').toBe(p.codec === 'hevc' || p.hdr || p.shortSide >= 2160);
  });

  it('treats the preview, audio, chat files and unknown names as light', () => {
    for (const name of [PREVIEW_PROFILE.name, AUDIO_RENDITION, ...FILE_PROFILES.map((f) => f.name), 'nope']) expect(isHeavyRendition(name)).toBe(false);
  });
});

describe('workLaneFor', () => {
  it('keeps every task on its media lane while the gpu lane is off (a CPU-only fleet strands nothing)', () => {
    for (const lane of LANES) {
      for (const p of VIDEO_PROFILES) expect(workLaneFor(lane, p.name, false)).toBe(lane);
    }
  });

  it('sends heavy rungs to the gpu lane when it is on, and nothing else', () => {
    expect(workLaneFor('short', '2160p', true)).toBe('gpu');
    expect(workLaneFor('long', '2160p_hdr', true)).toBe('gpu');
    expect(workLaneFor('long', '1080p_hdr', true)).toBe('gpu');
    expect(workLaneFor('short', '1080p', true)).toBe('short');
    expect(workLaneFor('long', AUDIO_RENDITION, true)).toBe('long');
    expect(workLaneFor('short', 'poster', true)).toBe('short');
    expect(workLaneFor('short', PREVIEW_PROFILE.name, true)).toBe('short');
  });
});

describe('lanesServed', () => {
  it('adds the gpu lane for hardware classes only', () => {
    expect(lanesServed('nvenc', ['short', 'long'])).toEqual(['short', 'long', 'gpu']);
    expect(lanesServed('qsv', ['long'])).toEqual(['long', 'gpu']);
    expect(lanesServed('vaapi', ['gpu'])).toEqual(['gpu']);
    expect(lanesServed('cpu', ['short', 'long'])).toEqual(['short', 'long']);
    expect(lanesServed('null', ['short'])).toEqual(['short']);
  });

  it('lets a cpu worker serve the gpu lane when configured to', () => {
    expect(lanesServed('cpu', ['short', 'long', 'gpu'])).toEqual(['short', 'long', 'gpu']);
  });

  it('knows every class and lane', () => {
    expect(WORKER_CLASSES.filter(isHardwareClass)).toEqual(['nvenc', 'qsv', 'vaapi']);
    expect(WORK_LANES).toEqual(['short', 'long', 'gpu']);
  });
});

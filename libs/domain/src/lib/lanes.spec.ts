import { durationClass, laneFor, PROBE_SHORT_LANE_MAX_BYTES, probeLaneFor, probePriority, SHORT_LANE_MAX_SEC, sizeClass } from './lanes';

const MB = 1024 * 1024;

describe('laneFor', () => {
  it('puts clips up to the short lane limit in the short lane', () => {
    expect(laneFor(0)).toBe('short');
    expect(laneFor(SHORT_LANE_MAX_SEC)).toBe('short');
    expect(laneFor(SHORT_LANE_MAX_SEC + 0.01)).toBe('long');
    expect(laneFor(3600)).toBe('long');
  });

  it('honours a custom limit', () => {
    expect(laneFor(30, 20)).toBe('long');
    expect(laneFor(20, 20)).toBe('short');
    expect(laneFor(90, 120)).toBe('short');
  });
});

describe('durationClass', () => {
  it.each([
    [0, 'xs'],
    [15, 'xs'],
    [15.5, 's'],
    [60, 's'],
    [61, 'm'],
    [300, 'm'],
    [301, 'l'],
    [1800, 'l'],
    [1800.5, 'xl'],
    [86400, 'xl'],
  ])('%p s is %p', (sec, cls) => {
    expect(durationClass(sec)).toBe(cls);
  });
});

describe('sizeClass', () => {
  it.each([
    [0, 'xs'],
    [5 * MB, 'xs'],
    [5 * MB + 1, 's'],
    [50 * MB, 's'],
    [50 * MB + 1, 'm'],
    [500 * MB, 'm'],
    [500 * MB + 1, 'l'],
    [4096 * MB, 'l'],
    [4096 * MB + 1, 'xl'],
  ])('%p bytes is %p', (bytes, cls) => {
    expect(sizeClass(bytes)).toBe(cls);
  });
});

describe('probeLaneFor', () => {
  it('probes small sources on the short lane and large ones on the long lane', () => {
    expect(probeLaneFor(PROBE_SHORT_LANE_MAX_BYTES)).toBe('short');
    expect(probeLaneFor(PROBE_SHORT_LANE_MAX_BYTES + 1)).toBe('long');
    expect(probeLaneFor(500_000, 300_000)).toBe('long');
  });
});

describe('probePriority', () => {
  it('puts smaller uploads first, in classes that double in size', () => {
    expect(probePriority(1)).toBe(1);
    expect(probePriority(64 * 1024)).toBe(1);
    expect(probePriority(64 * 1024 + 1)).toBe(2);
    expect(probePriority(128 * 1024)).toBe(2);
    expect(probePriority(10 * 1024 * 1024)).toBe(9);
    expect(probePriority(2 * 1024 ** 3)).toBe(16);
  });

  it('is always a BullMQ priority: at least 1 (so behind unprioritized work), at most 2^21', () => {
    expect(probePriority(0)).toBe(1);
    expect(probePriority(Number.MAX_SAFE_INTEGER)).toBeLessThanOrEqual(2 ** 21);
  });
});

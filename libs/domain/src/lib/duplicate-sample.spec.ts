import { sampledForDuplicate } from './duplicate-sample';

describe('sampledForDuplicate', () => {
  it('samples nothing at 0 and everything at 1', () => {
    expect(sampledForDuplicate('j', 0, '240p', 0)).toBe(false);
    expect(sampledForDuplicate('j', 0, '240p', 1)).toBe(true);
  });

  it('is stable for a slot and close to the fraction over many', () => {
    expect(sampledForDuplicate('j', 3, '720p', 0.3)).toBe(sampledForDuplicate('j', 3, '720p', 0.3));
    const picked = Array.from({ length: 2000 }, (_, i) => sampledForDuplicate('job', i, '720p', 0.25)).filter(Boolean).length;
    expect(picked).toBeGreaterThan(400);
    expect(picked).toBeLessThan(600);
  });
});

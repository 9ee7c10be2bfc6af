import { StallWatch } from './stall-watch';

const at = (currentTime: number, over: Partial<{ paused: boolean; ended: boolean }> = {}) => ({ currentTime, paused: false, ended: false, ...over });

describe('StallWatch', () => {
  it('reports a position that stops moving for longer than the threshold, once, and its resumption', () => {
    const w = new StallWatch(3000);
    expect(w.observe(0, at(1))).toBeUndefined();
    expect(w.observe(250, at(1.25))).toBeUndefined();
    expect(w.observe(3000, at(1.25))).toBeUndefined();
    expect(w.observe(3251, at(1.25))).toBe('stalled');
    expect(w.stalledForMs(3500)).toBe(3250);
    expect(w.observe(3500, at(1.25))).toBeUndefined();
    expect(w.isStalled).toBe(true);
    expect(w.observe(3750, at(1.5))).toBe('resumed');
    expect(w.observe(6000, at(1.5))).toBeUndefined();
  });

  it('never counts paused or ended playback as stalled', () => {
    const w = new StallWatch(1000);
    w.observe(0, at(5));
    expect(w.observe(5000, at(5, { paused: true }))).toBeUndefined();
    expect(w.observe(9000, at(5, { ended: true }))).toBeUndefined();
    expect(w.observe(9500, at(5))).toBeUndefined();
    expect(w.observe(10_600, at(5))).toBe('stalled');
    expect(w.observe(10_700, at(5, { paused: true }))).toBe('resumed');
  });
});

/** What the watch reads from the <video> element at each look. */
export interface PlaybackSample {
  readonly currentTime: number;
  readonly paused: boolean;
  readonly ended: boolean;
}

export type StallChange = 'stalled' | 'resumed';

/**
 * Tells a stall from playback: looked at every few hundred milliseconds, playback that should be
 * running (not paused, not ended) and whose position has not moved for longer than `thresholdMs`
 * is stalled, whatever the cause (buffering, a seek waiting for data, a hung decoder). It reports
 * the change once each way. Paused or ended playback is never stalled. Time is given, not read.
 */
export class StallWatch {
  private lastPosition: number | undefined;
  private lastProgressAt: number | undefined;
  private stalled = false;

  constructor(private readonly thresholdMs: number) {}

  observe(nowMs: number, sample: PlaybackSample): StallChange | undefined {
    const moved = sample.currentTime !== this.lastPosition;
    this.lastPosition = sample.currentTime;
    if (sample.paused || sample.ended || moved || this.lastProgressAt === undefined) {
      this.lastProgressAt = nowMs;
      if (!this.stalled) return undefined;
      this.stalled = false;
      return 'resumed';
    }
    if (!this.stalled && nowMs - this.lastProgressAt > this.thresholdMs) {
      this.stalled = true;
      return 'stalled';
    }
    return undefined;
  }

  /** How long playback has not moved, at `nowMs`. */
  stalledForMs(nowMs: number): number {
    return this.lastProgressAt === undefined ? 0 : nowMs - this.lastProgressAt;
  }

  get isStalled(): boolean {
    return this.stalled;
  }
}

import { Probe } from '@airlock/contracts';

/** A probe of a clean H.264 1080p30 source with a keyframe every 2 s (test data for plans and flows). */
export function buildProbe(durationSec: number, withAudio = true): Probe {
  const keyframeTimes: number[] = [];
  for (let t = 0; t < durationSec; t += 2) keyframeTimes.push(t);
  return {
    formatName: 'mp4',
    durationSec,
    sizeBytes: 1_000_000,
    video: {
      codec: 'h264',
      width: 1920,
      height: 1080,
      rotation: 0,
      fps: { num: 30, den: 1 },
      variableFrameRate: false,
      hdr: 'none',
      durationSec,
      frameCount: durationSec * 30,
      keyframeTimes,
    },
    audio: withAudio ? { codec: 'aac', channels: 2, sampleRate: 48000, durationSec } : undefined,
  };
}

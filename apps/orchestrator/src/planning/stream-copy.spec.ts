import { RenditionSpec, SegmentSpec, VideoProbe } from '@airlock/contracts';
import { whyNotStreamCopy } from './stream-copy';

const video: VideoProbe = {
  codec: 'h264',
  profile: 'High',
  width: 1280,
  height: 720,
  rotation: 0,
  fps: { num: 30, den: 1 },
  variableFrameRate: false,
  pixFmt: 'yuv420p',
  hdr: 'none',
  durationSec: 6,
  frameCount: 180,
  bitRate: 2_000_000,
  keyframeTimes: [0, 2, 4],
};
const r720: RenditionSpec = { name: '720p', codec: 'h264', width: 1280, height: 720, bitrateKbps: 2800, hdr: false };
const segments: SegmentSpec[] = [
  { index: 0, startFrame: 0, frameCount: 120, startSec: 0, durationSec: 4, gopAligned: true },
  { index: 1, startFrame: 120, frameCount: 60, startSec: 4, durationSec: 2, gopAligned: true },
];
const FPS = { num: 30, den: 1 };

describe('whyNotStreamCopy', () => {
  it('copies a conforming H.264 source into the rung of its own size', () => {
    expect(whyNotStreamCopy(video, FPS, r720, segments)).toBeUndefined();
  });

  it.each([
    ['codec', { ...video, codec: 'hevc' }, r720, segments],
    ['profile', { ...video, profile: 'High 10' }, r720, segments],
    ['pixel_format', { ...video, pixFmt: 'yuv422p' }, r720, segments],
    ['hdr', { ...video, hdr: 'pq' as const }, r720, segments],
    ['rotation', { ...video, rotation: 90 }, r720, segments],
    ['frame_rate', { ...video, variableFrameRate: true }, r720, segments],
    ['size', video, { ...r720, name: '360p', width: 640, height: 360 }, segments],
    ['bitrate', { ...video, bitRate: 3_100_000 }, r720, segments],
    ['bitrate', { ...video, bitRate: undefined }, r720, segments],
    ['keyframes', video, r720, [segments[0], { ...segments[1], gopAligned: false }]],
  ] as const)('encodes instead when the %s does not conform', (reason, v, r, s) => {
    expect(whyNotStreamCopy(v as VideoProbe, FPS, r, s as SegmentSpec[])).toBe(reason);
  });

  it('encodes when the plan changes the frame rate (a 120 fps source is halved)', () => {
    expect(whyNotStreamCopy({ ...video, fps: { num: 120, den: 1 } }, { num: 60, den: 1 }, r720, segments)).toBe('frame_rate');
  });
});

import { OutputFact } from '@airlock/contracts';
import { checkBitrates } from './bitrate-checks';

const media = (rendition: string, sizeBytes: number, seconds = 6): OutputFact => ({
  kind: 'media',
  rendition,
  segmentIndex: 0,
  key: `seg/m1/${rendition}/0`,
  sha256: 'a'.repeat(64),
  sizeBytes,
  timescale: 15360,
  baseDecodeTime: 0,
  duration: seconds * 15360,
  sampleCount: seconds * 30,
});

describe('checkBitrates', () => {
  it('passes segments within a few times their rung bitrate', () => {
    // 360p at 800 kb/s for 6 s is 600 kB; 4x allows 2.4 MB plus container slack.
    expect(checkBitrates([media('360p', 600_000), media('360p', 2_400_000), media('audio', 96_000)], 4, () => 'a1')).toEqual([]);
  });

  it('names a segment far larger than its rung allows, blaming its attempt', () => {
    const [failure] = checkBitrates([media('360p', 2_500_000)], 4, () => 'a1');
    expect(failure).toEqual(expect.objectContaining({ reason: 'bitrate_out_of_bounds', attemptId: 'a1' }));
  });

  it('leaves inits, files and unknown renditions alone', () => {
    expect(checkBitrates([{ ...media('360p', 9e9), kind: 'init' }, media('poster', 9e9)], 4, () => 'a1')).toEqual([]);
  });
});

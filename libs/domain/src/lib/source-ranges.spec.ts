import { mergeRanges, segmentByteRanges } from './source-ranges';

describe('segmentByteRanges', () => {
  // ftyp, moov, the mdat header; keyframes every 2 s at growing offsets; video ends at 9000.
  const map = {
    header: [
      [0, 32],
      [32, 1000],
      [1000, 1016],
    ] as [number, number][],
    keyframes: [
      [0, 1016],
      [2, 3000],
      [4, 5000],
      [6, 7000],
    ] as [number, number][],
    videoEnd: 9000,
  };

  it('takes the header and the samples from the keyframe before the start through the GOP after the end', () => {
    expect(segmentByteRanges(map, 2, 4)).toEqual([
      [0, 1016],
      [3000, 7000],
    ]);
    // A cut between keyframes decodes from the one before it.
    expect(segmentByteRanges(map, 3, 5)).toEqual([
      [0, 1016],
      [3000, 9000],
    ]);
  });

  it('runs to the end of the video for the last segment, and joins what touches', () => {
    expect(segmentByteRanges(map, 4, 8)).toEqual([
      [0, 1016],
      [5000, 9000],
    ]);
    expect(segmentByteRanges(map, 0, 2)).toEqual([[0, 5000]]);
  });

  it('merges overlapping and touching ranges and drops empty ones', () => {
    expect(mergeRanges([[10, 20], [0, 5], [5, 8], [15, 30], [40, 40]])).toEqual([
      [0, 8],
      [10, 30],
    ]);
  });
});

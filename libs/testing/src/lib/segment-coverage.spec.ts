import { missingSegments, otherRenditionsLoaded } from './segment-coverage';

describe('segment coverage', () => {
  const loaded = [
    { rendition: '360p', index: -1 },
    { rendition: '360p', index: 0 },
    { rendition: '360p', index: 2 },
    { rendition: '360p', index: 0 },
    { rendition: 'audio', index: -1 },
    { rendition: 'audio', index: 0 },
    { rendition: 'audio', index: 1 },
  ];

  it('names every init and media segment not loaded', () => {
    expect(missingSegments(loaded, { '360p': 3, audio: 2 })).toEqual([
      '360p/1',
    ]);
    expect(missingSegments(loaded, { '720p': 1 })).toEqual([
      '720p/init',
      '720p/0',
    ]);
    expect(missingSegments([], {})).toEqual([]);
  });

  it('names renditions loaded beyond those allowed', () => {
    expect(otherRenditionsLoaded(loaded, ['360p', 'audio'])).toEqual([]);
    expect(
      otherRenditionsLoaded(
        [
          ...loaded,
          { rendition: '720p', index: 0 },
          { rendition: '180p', index: -1 },
        ],
        ['360p', 'audio'],
      ),
    ).toEqual(['180p', '720p']);
  });
});

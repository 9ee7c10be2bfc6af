import type { OutputFact } from '@airlock/contracts';
import {
  type ManifestInput,
  ManifestInputError,
  validateManifestInput,
  writeManifests,
} from './index';
import {
  FIXTURE_ENCRYPTION,
  FIXTURE_KEY_ID,
  buildManifestFixture,
} from './manifest.fixture';

function problemsOf(input: ManifestInput): readonly string[] {
  try {
    validateManifestInput(input);
  } catch (error) {
    if (error instanceof ManifestInputError) return error.problems;
    throw error;
  }
  throw new Error('expected ManifestInputError, but the input was accepted');
}

function expectProblem(input: ManifestInput, pattern: RegExp): void {
  expect(() => validateManifestInput(input)).toThrow(ManifestInputError);
  expect(problemsOf(input)).toEqual(
    expect.arrayContaining([expect.stringMatching(pattern)]),
  );
}

function facts(
  input: ManifestInput,
  rendition: string,
  kind: OutputFact['kind'] = 'media',
): OutputFact[] {
  return input.outputs
    .filter((o) => o.rendition === rendition && o.kind === kind)
    .sort((a, b) => a.segmentIndex - b.segmentIndex);
}

/** Moves segment `index` and every later one of a rendition by `ticks`. */
function shiftFrom(
  input: ManifestInput,
  rendition: string,
  index: number,
  ticks: number,
): ManifestInput {
  for (const seg of facts(input, rendition).slice(index))
    seg.baseDecodeTime += ticks;
  return input;
}

describe('validateManifestInput', () => {
  it('accepts the fixture', () => {
    const presentation = validateManifestInput(buildManifestFixture());
    expect(presentation.video.map((t) => t.stream.rendition)).toEqual([
      '360p',
      '720p',
    ]);
    expect(presentation.audio?.stream.rendition).toBe('audio');
    expect(presentation.video[0].segments.map((s) => s.segmentIndex)).toEqual([
      0, 1, 2,
    ]);
  });

  it('throws a typed error with a readable message', () => {
    const input = buildManifestFixture();
    input.outputs = input.outputs.filter(
      (o) => !(o.rendition === '360p' && o.kind === 'init'),
    );
    let caught: unknown;
    try {
      validateManifestInput(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ManifestInputError);
    expect(caught).toBeInstanceOf(Error);
    expect((caught as ManifestInputError).name).toBe('ManifestInputError');
    expect((caught as ManifestInputError).message).toBe(
      'invalid manifest input: rendition "360p": expected exactly one init segment, found 0',
    );
  });

  it('rejects a rendition without an init segment', () => {
    const input = buildManifestFixture();
    input.outputs = input.outputs.filter(
      (o) => !(o.rendition === 'audio' && o.kind === 'init'),
    );
    expectProblem(
      input,
      /^rendition "audio": expected exactly one init segment, found 0$/,
    );
  });

  it('rejects a rendition with two init segments', () => {
    const input = buildManifestFixture();
    const init = facts(input, '720p', 'init')[0];
    input.outputs.push({ ...init, key: init.key.replace('init-', 'init-2') });
    expectProblem(
      input,
      /^rendition "720p": expected exactly one init segment, found 2$/,
    );
  });

  it('rejects an init segment whose index is not -1', () => {
    const input = buildManifestFixture();
    facts(input, '720p', 'init')[0].segmentIndex = 0;
    expectProblem(input, /init segment has segmentIndex 0, expected -1/);
  });

  it('rejects a missing segment index', () => {
    const input = buildManifestFixture();
    input.outputs = input.outputs.filter(
      (o) => !(o.rendition === 'audio' && o.segmentIndex === 1),
    );
    expectProblem(
      input,
      /^rendition "audio": segment indices must be contiguous from 0, found 0,2$/,
    );
  });

  it('rejects indices that do not start at 0', () => {
    const input = buildManifestFixture({ audio: false, video: true });
    for (const seg of facts(input, '360p')) seg.segmentIndex += 1;
    expectProblem(
      input,
      /^rendition "360p": segment indices must be contiguous from 0, found 1,2,3$/,
    );
  });

  it('rejects a duplicated segment index', () => {
    const input = buildManifestFixture();
    facts(input, '720p')[2].segmentIndex = 1;
    expectProblem(
      input,
      /^rendition "720p": segment indices must be contiguous from 0, found 0,1,1$/,
    );
  });

  it('rejects a rendition without media segments', () => {
    const input = buildManifestFixture();
    input.outputs = input.outputs.filter(
      (o) => !(o.rendition === 'audio' && o.kind === 'media'),
    );
    expectProblem(input, /^rendition "audio": has no media segments$/);
  });

  it('rejects a gap between segments beyond one tick', () => {
    const input = shiftFrom(buildManifestFixture(), '360p', 2, 2);
    expectProblem(
      input,
      /^rendition "360p": segment 2 starts at 360362 but segment 1 ends at 360360 \(gap of 2 ticks at timescale 90000, tolerance 1\)$/,
    );
  });

  it('rejects overlapping segments beyond one tick', () => {
    const input = shiftFrom(buildManifestFixture(), '720p', 1, -2);
    expectProblem(
      input,
      /^rendition "720p": segment 1 starts at 60058 but segment 0 ends at 60060 \(overlap of 2 ticks/,
    );
  });

  it('tolerates one tick of drift in video', () => {
    const input = buildManifestFixture();
    facts(input, '360p')[1].baseDecodeTime += 1;
    facts(input, '360p')[1].duration -= 1;
    expect(() => validateManifestInput(input)).not.toThrow();
  });

  it('tolerates up to one AAC frame of drift in audio, not more', () => {
    expect(() =>
      validateManifestInput(
        shiftFrom(buildManifestFixture(), 'audio', 2, 1024),
      ),
    ).not.toThrow();
    expect(() =>
      validateManifestInput(
        shiftFrom(buildManifestFixture(), 'audio', 2, -1024),
      ),
    ).not.toThrow();
    expectProblem(
      shiftFrom(buildManifestFixture(), 'audio', 2, 1025),
      /^rendition "audio": segment 2 .* \(gap of 1025 ticks at timescale 48000, tolerance 1024\)$/,
    );
  });

  it('scales the audio tolerance when the timescale is not the sample rate', () => {
    const input = buildManifestFixture({ video: false });
    for (const o of input.outputs) {
      o.timescale = 96000;
      o.baseDecodeTime *= 2;
      o.duration *= 2;
    }
    expect(() =>
      validateManifestInput(shiftFrom(input, 'audio', 1, 2048)),
    ).not.toThrow();
    expectProblem(shiftFrom(input, 'audio', 1, 1), /tolerance 2048\)$/);
  });

  it('rejects video renditions with different segment counts', () => {
    const input = buildManifestFixture();
    const last = facts(input, '720p')[2];
    input.outputs = input.outputs.filter((o) => o !== last);
    expectProblem(
      input,
      /^video renditions "360p" and "720p" have different segment counts \(3 vs 2\)$/,
    );
  });

  it('rejects video renditions whose segments start at different times', () => {
    const input = buildManifestFixture();
    const [first, second] = facts(input, '720p');
    // One frame later boundary in 720p: still continuous within the rendition, no longer aligned.
    first.duration += 1001;
    second.baseDecodeTime += 1001;
    second.duration -= 1001;
    expectProblem(
      input,
      /^video renditions "360p" and "720p" are not aligned: segment 1 starts at 2\.002000s vs 2\.035367s$/,
    );
  });

  it('accepts aligned renditions with different timescales within one tick', () => {
    const input = buildManifestFixture();
    const [, second] = facts(input, '360p');
    second.baseDecodeTime += 1;
    second.duration -= 1;
    expect(() => validateManifestInput(input)).not.toThrow();
  });

  it('rejects outputs of a rendition that has no stream', () => {
    const input = buildManifestFixture();
    input.streams = input.streams.filter((s) => s.rendition !== '720p');
    expectProblem(
      input,
      /^4 output\(s\) belong to rendition "720p", which has no stream$/,
    );
  });

  it('rejects a timescale that changes within a rendition', () => {
    const input = buildManifestFixture();
    facts(input, 'audio')[1].timescale = 44100;
    expectProblem(
      input,
      /^rendition "audio": media 1 has timescale 44100, expected 48000$/,
    );
  });

  it('rejects zero-duration segments', () => {
    const input = buildManifestFixture({ video: false });
    const segs = facts(input, 'audio');
    segs[2].duration = 0;
    expectProblem(input, /^rendition "audio": segment 2 has zero duration$/);
  });

  it('rejects rendition names that would collide with manifest files', () => {
    const input = buildManifestFixture({ video: false });
    input.streams[0].rendition = 'master';
    for (const o of input.outputs) o.rendition = 'master';
    expectProblem(
      input,
      /^rendition name "master" is not usable as a playlist file name/,
    );
  });

  it('rejects video without dimensions, more than one audio track, and no streams', () => {
    const input = buildManifestFixture();
    delete input.streams[0].width;
    input.streams.push({ ...input.streams[2], rendition: 'audio2' });
    expectProblem(
      input,
      /^video rendition "720p": width and height are required$/,
    );
    expectProblem(
      input,
      /^at most one audio rendition is supported, found "audio", "audio2"$/,
    );
    expectProblem({ ...input, streams: [], outputs: [] }, /^no streams$/);
  });

  it('rejects keys that cannot be written into a playlist', () => {
    const input = buildManifestFixture();
    facts(input, '360p')[0].key = 'seg/med_fixture/360p/0 "x".m4s';
    expectProblem(
      input,
      /^rendition "360p" media 0: key .* is not a plain bucket key$/,
    );
  });

  it('reports every problem at once', async () => {
    const input = buildManifestFixture();
    input.outputs = input.outputs.filter(
      (o) => !(o.rendition === 'audio' && o.kind === 'init'),
    );
    shiftFrom(input, '360p', 1, 5);
    input.streams[1].codecs = '';
    const problems = problemsOf(input);
    expect(problems).toEqual([
      'rendition "360p": codecs is empty',
      expect.stringMatching(
        /^rendition "360p": segment 1 starts at 180185 but segment 0 ends at 180180 \(gap/,
      ),
      'rendition "audio": expected exactly one init segment, found 0',
    ]);
    // writeManifests validates first and rejects with the same error.
    await expect(writeManifests(input)).rejects.toThrow(
      /^invalid manifest input \(3 problems\):\n- rendition "360p": codecs/,
    );
  });

  describe('encryption', () => {
    const aes = FIXTURE_ENCRYPTION;
    const OTHER_KEY_ID = '00112233445566778899aabbccddeeff';

    it('gives the shared encryption of all streams, or none for clear streams', () => {
      expect(
        validateManifestInput(buildManifestFixture({ encryption: aes }))
          .encryption,
      ).toEqual(aes);
      expect(
        validateManifestInput(
          buildManifestFixture({ video: false, encryption: aes }),
        ).encryption,
      ).toEqual(aes);
      expect(
        validateManifestInput(buildManifestFixture()).encryption,
      ).toBeUndefined();
    });

    it('rejects a mix of clear and encrypted streams', () => {
      const input = buildManifestFixture({ encryption: aes });
      delete input.streams.find((s) => s.rendition === 'audio')?.encryption;
      expectProblem(
        input,
        new RegExp(
          `^streams must all be clear or all be encrypted with one key: "360p" is aes-128 with key id ${FIXTURE_KEY_ID} ` +
            'but "audio" is clear$',
        ),
      );
      const clearVideo = buildManifestFixture();
      clearVideo.streams[2].encryption = { ...aes };
      expectProblem(
        clearVideo,
        /^streams must all be clear .*: "360p" is clear but "audio" is aes-128 with key id /,
      );
    });

    it('rejects streams encrypted with different key ids', () => {
      const input = buildManifestFixture({ encryption: aes });
      input.streams[0].encryption = { scheme: 'aes-128', keyId: OTHER_KEY_ID };
      expectProblem(
        input,
        new RegExp(
          `^streams must all be clear .*: "360p" is aes-128 with key id ${FIXTURE_KEY_ID} but "720p" is aes-128 with key id ${OTHER_KEY_ID}$`,
        ),
      );
    });

    it('rejects key ids that are not 32 lowercase hex digits and schemes other than aes-128', () => {
      for (const keyId of [
        FIXTURE_KEY_ID.toUpperCase(),
        FIXTURE_KEY_ID.slice(1),
        `${FIXTURE_KEY_ID}00`,
        `5b6e1a0f-3c2d-4e8f-9a0b-1c2d3e4f5a6b`,
      ]) {
        const input = buildManifestFixture({
          video: false,
          encryption: { scheme: 'aes-128', keyId },
        });
        expectProblem(
          input,
          /^rendition "audio": key id ".*" is not 32 lowercase hex digits$/,
        );
      }
      // The old sample encryption, and a chat file's scheme: neither is a stream the manifests describe.
      for (const scheme of ['cbcs', 'blob-aes256gcm']) {
        const other = buildManifestFixture({ video: false });
        other.streams[0].encryption = {
          scheme: scheme as 'aes-128',
          keyId: FIXTURE_KEY_ID,
        };
        expectProblem(
          other,
          new RegExp(
            `^rendition "audio": encryption scheme "${scheme}" is not supported \\(only aes-128\\)$`,
          ),
        );
      }
    });
  });
});

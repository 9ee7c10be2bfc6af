import type { ProbeOutcome } from '@airlock/contracts';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { probeFile } from './ffprobe.adapter';
import { makeClip, makeStillImage, makeTempDir, removeDir } from './media-clips.fixtures';
import { runProcess } from './process-runner';

describe('probeFile (real ffprobe)', () => {
  let dir: string;
  let clip: string;

  beforeAll(async () => {
    dir = await makeTempDir('probe');
    clip = await makeClip(join(dir, 'clip.mp4'));
  });

  afterAll(() => removeDir(dir));

  async function truncatedCopy(source: string, name: string, fraction: number): Promise<string> {
    const bytes = await readFile(source);
    const out = join(dir, name);
    await writeFile(out, bytes.subarray(0, Math.floor(bytes.length * fraction)));
    return out;
  }

  function expectReadableRejection(outcome: ProbeOutcome, codes: string[]) {
    if (outcome.ok) throw new Error('expected a rejection');
    expect(codes).toContain(outcome.code);
    expect(outcome.message.length).toBeGreaterThan(10);
    expect(outcome.message).not.toContain(dir);
    expect(outcome.message).not.toMatch(/\.mp4|\/tmp/);
  }

  it('describes the generated clip: 640x360, 30 fps, keyframes at 0/2/4 s, AAC audio', async () => {
    const outcome = await probeFile(clip);
    if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
    const { probe } = outcome;
    expect(probe.sizeBytes).toBe((await stat(clip)).size);
    expect(probe.durationSec).toBeCloseTo(6, 1);
    expect(probe.video).toMatchObject({
      codec: 'h264',
      width: 640,
      height: 360,
      rotation: 0,
      fps: { num: 30, den: 1 },
      variableFrameRate: false,
      hdr: 'none',
      frameCount: 180,
      keyframeTimes: [0, 2, 4],
    });
    expect(probe.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 1 });
  });

  it('reports the display rotation of a rotated clip', async () => {
    const rotated = join(dir, 'rotated.mp4');
    await runProcess('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated], { timeoutMs: 30_000 });
    const outcome = await probeFile(rotated);
    if (!outcome.ok) throw new Error(outcome.message);
    expect([90, 270]).toContain(outcome.probe.video?.rotation);
  });

  it('rejects a truncated MP4 whose moov sits at the end (first 40% of the bytes)', async () => {
    const outcome = await probeFile(await truncatedCopy(clip, 'cut.mp4', 0.4));
    expectReadableRejection(outcome, ['truncated_media']);
  });

  it('rejects a truncated faststart MP4 (moov intact, media cut off) as truncated', async () => {
    const faststart = join(dir, 'faststart.mp4');
    await copyFile(clip, join(dir, 'tmp.mp4'));
    await runProcess('ffmpeg', ['-v', 'error', '-y', '-i', join(dir, 'tmp.mp4'), '-c', 'copy', '-movflags', '+faststart', faststart], {
      timeoutMs: 30_000,
    });
    const outcome = await probeFile(await truncatedCopy(faststart, 'cut-faststart.mp4', 0.4));
    expectReadableRejection(outcome, ['truncated_media']);
  });

  it('accepts an audio-only file and rejects a truncated one', async () => {
    const audio = join(dir, 'audio.m4a');
    await runProcess('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-vn', '-c', 'copy', '-movflags', '+faststart', audio], { timeoutMs: 30_000 });
    const outcome = await probeFile(audio);
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.probe.video).toBeUndefined();
    expect(outcome.probe.audio?.codec).toBe('aac');
    expectReadableRejection(await probeFile(await truncatedCopy(audio, 'cut.m4a', 0.4)), ['truncated_media']);
  });

  it('rejects a zero-byte upload', async () => {
    const empty = join(dir, 'empty.mp4');
    await writeFile(empty, '');
    expect(await probeFile(empty)).toEqual({ ok: false, code: 'empty_upload', message: 'The upload is empty (0 bytes).' });
  });

  it('rejects a text file renamed .mp4, and one named .txt', async () => {
    const text = join(dir, 'notes.mp4');
    await writeFile(text, 'Meeting notes\nnothing to see here\n'.repeat(20));
    expectReadableRejection(await probeFile(text), ['not_media']);
    const txt = join(dir, 'notes.txt');
    await copyFile(text, txt);
    expectReadableRejection(await probeFile(txt), ['not_media']);
  });

  it('rejects a still image', async () => {
    const png = await makeStillImage(join(dir, 'still.png'));
    expectReadableRejection(await probeFile(png), ['not_media']);
  });

  it('throws (retryable) rather than rejecting when the file is missing', async () => {
    await expect(probeFile(join(dir, 'missing.mp4'))).rejects.toThrow(/ENOENT/);
  });
});

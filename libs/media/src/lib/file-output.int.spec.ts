import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFileProfile, FileProfile } from '@airlock/domain';
import { buildFileOutputArgs } from './file-output.builder';
import { runProcess } from './process-runner';

const profile = (name: string) => findFileProfile(name) as FileProfile;

/** The chat files, rendered for real from a synthetic 4 s 640x360 clip with audio. */
describe('chat file outputs (real ffmpeg)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-files-'));
  const source = join(dir, 'source.mp4');
  const render = async (name: string, width: number, height: number) => {
    const output = join(dir, `${name}.out`);
    const args = buildFileOutputArgs({ input: source, output, profile: profile(name), width, height, fps: { num: 30, den: 1 }, durationSec: 4 });
    await runProcess('ffmpeg', args, { cwd: dir, timeoutMs: 60_000 });
    return output;
  };
  const probe = async (path: string) =>
    JSON.parse((await runProcess('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path], { timeoutMs: 15_000 })).stdout) as {
      streams: { codec_type: string; codec_name: string; width?: number; height?: number; profile?: string }[];
    };

  beforeAll(async () => {
    await runProcess(
      'ffmpeg',
      ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=4', '-f', 'lavfi', '-i', 'sine=duration=4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', source],
      { timeoutMs: 60_000 },
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders the poster as one JPEG frame at its size', async () => {
    const { streams } = await probe(await render('poster', 480, 270));
    expect(streams.map((s) => [s.codec_name, s.width, s.height])).toEqual([['mjpeg', 480, 270]]);
  });

  it('renders the animated preview as a looping animated WebP', async () => {
    const bytes = readFileSync(await render('animated_preview', 426, 240));
    expect(bytes.subarray(0, 4).toString()).toBe('RIFF');
    expect(bytes.subarray(8, 12).toString()).toBe('WEBP');
    expect(bytes.includes(Buffer.from('ANIM'))).toBe(true);
    expect(bytes.includes(Buffer.from('ANMF'))).toBe(true);
  });

  it('renders the normalized MP4 as H.264 High + AAC with the moov first (faststart)', async () => {
    const path = await render('mobile_mp4_720p', 640, 360);
    const { streams } = await probe(path);
    expect(streams.map((s) => [s.codec_type, s.codec_name])).toEqual([
      ['video', 'h264'],
      ['audio', 'aac'],
    ]);
    expect(streams[0]).toMatchObject({ width: 640, height: 360, profile: 'High' });
    const bytes = readFileSync(path);
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'));
  });
});

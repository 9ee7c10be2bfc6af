import { describePathTaken, encodePaths, withEncoderFallback } from './encode-path';
import { compiledAccels, detectAccels, smokeEncodeArgs } from './hw-detect';
import { buildSegmentEncodeArgs } from './ffmpeg-args.builder';
import { ProcessError } from './process-runner';

const failed = (kind: ProcessError['kind'], exitCode: number | null = 1) => new ProcessError('ffmpeg', [], kind, exitCode, null, ['No NVENC capable devices found']);

describe('encode paths: hw -> sw decode -> sw encode', () => {
  it('orders the worker class first, in both decode modes, then the CPU', () => {
    expect(encodePaths(['nvenc', 'cpu'])).toEqual([
      { accel: 'nvenc', decode: 'hw' },
      { accel: 'nvenc', decode: 'sw' },
      { accel: 'cpu', decode: 'sw' },
    ]);
    expect(encodePaths(['cpu'])).toEqual([{ accel: 'cpu', decode: 'sw' }]);
  });

  it('falls back on a failing hardware run and records every path it left', async () => {
    const tried: string[] = [];
    const taken = await withEncoderFallback(encodePaths(['vaapi', 'cpu']), async (p) => {
      tried.push(`${p.accel}/${p.decode}`);
      if (p.accel === 'vaapi' && p.decode === 'hw') throw failed('exit', 218);
      if (p.accel === 'vaapi') throw failed('signal', null);
      return 'encoded';
    });
    expect(tried).toEqual(['vaapi/hw', 'vaapi/sw', 'cpu/sw']);
    expect(taken).toMatchObject({ result: 'encoded', path: { accel: 'cpu', decode: 'sw' } });
    expect(describePathTaken(taken, 'libx264')).toBe('cpu/sw-decode:libx264 after vaapi/hw-decode (exit 218), vaapi/sw-decode (signal)');
  });

  it('keeps the first path that works, and says so plainly', async () => {
    const taken = await withEncoderFallback(encodePaths(['qsv', 'cpu']), async () => 1);
    expect(describePathTaken(taken, 'h264_qsv')).toBe('qsv/hw-decode:h264_qsv');
  });

  it('does not fall back on a timeout, an abort or a non-process error, nor past the CPU', async () => {
    const paths = encodePaths(['nvenc', 'cpu']);
    await expect(withEncoderFallback(paths, async () => Promise.reject(failed('timeout', null)))).rejects.toMatchObject({ kind: 'timeout' });
    await expect(withEncoderFallback(paths, async () => Promise.reject(failed('aborted', null)))).rejects.toMatchObject({ kind: 'aborted' });
    await expect(withEncoderFallback(paths, async () => Promise.reject(new TypeError('bug')))).rejects.toThrow(TypeError);
    let calls = 0;
    await expect(withEncoderFallback(paths, async () => Promise.reject(failed('exit', ++calls)))).rejects.toMatchObject({ exitCode: 3 });
  });

  it('puts hardware decoding before the input, only on the hw-decode rung', () => {
    const base = {
      input: '/w/source',
      output: '/w/chunk.mp4',
      segment: { index: 0, startFrame: 0, frameCount: 60, startSec: 0, durationSec: 2, gopAligned: true },
      fps: { num: 30, den: 1 },
      rendition: { name: '360p', codec: 'h264' as const, width: 640, height: 360, bitrateKbps: 800, hdr: false },
    };
    const beforeInput = (args: string[]) => args.slice(0, args.indexOf('-i'));
    expect(beforeInput(buildSegmentEncodeArgs({ ...base, accel: 'nvenc', decode: 'hw' }))).toEqual(expect.arrayContaining(['-hwaccel', 'cuda']));
    expect(beforeInput(buildSegmentEncodeArgs({ ...base, accel: 'vaapi', decode: 'hw' }))).toEqual(expect.arrayContaining(['-hwaccel', 'vaapi', '-hwaccel_device', 'va']));
    expect(buildSegmentEncodeArgs({ ...base, accel: 'nvenc', decode: 'sw' })).not.toContain('-hwaccel');
    expect(buildSegmentEncodeArgs({ ...base, accel: 'cpu', decode: 'hw' })).not.toContain('-hwaccel');
  });
});

describe('hardware detection at worker start', () => {
  const LISTING = ` V....D h264_nvenc           NVIDIA NVENC H.264 encoder (codec h264)
 V..... h264_qsv             H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (Intel Quick Sync Video acceleration) (codec h264)
 V....D h264_vaapi           H.264/AVC (VAAPI) (codec h264)
 V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)`;

  it('reads which hardware encoders are compiled in', () => {
    expect(compiledAccels(LISTING)).toEqual(['nvenc', 'qsv', 'vaapi']);
    expect(compiledAccels(' V....D libx264  libx264 H.264')).toEqual([]);
  });

  it('keeps only the classes whose smoke encode succeeds, and always the CPU, last', async () => {
    const calls: string[][] = [];
    const run = async (_cmd: string, args: readonly string[]) => {
      calls.push([...args]);
      if (args.includes('-encoders')) return { stdout: LISTING };
      if (args.includes('h264_vaapi')) return { stdout: '' };
      throw failed('exit');
    };
    expect(await detectAccels(run)).toEqual(['vaapi', 'cpu']);
    expect(calls).toHaveLength(4);
    expect(await detectAccels(async () => ({ stdout: '' }))).toEqual(['cpu']);
  });

  it('smoke-tests each class with its own device setup and encoder', () => {
    expect(smokeEncodeArgs('vaapi')).toEqual(expect.arrayContaining(['-init_hw_device', 'vaapi=va:/dev/dri/renderD128', 'h264_vaapi', 'null']));
    expect(smokeEncodeArgs('nvenc')).toEqual(expect.arrayContaining(['h264_nvenc']));
  });
});

import type { RenditionSpec, SegmentSpec } from '@airlock/contracts';
import { encoderFor } from './encoder.factory';
import {
  buildAudioEncodeArgs,
  buildCountFramesArgs,
  buildKeyframeArgs,
  buildProbeArgs,
  buildSegmentCopyArgs,
  buildSegmentEncodeArgs,
  type SegmentEncodeInput,
} from './ffmpeg-args.builder';
import { NvencEncoder } from './nvenc.encoder';
import { QsvEncoder } from './qsv.encoder';
import { VaapiEncoder } from './vaapi.encoder';
import { X264Encoder } from './x264.encoder';
import { X265Encoder } from './x265.encoder';

const r360: RenditionSpec = { name: '360p', codec: 'h264', width: 640, height: 360, bitrateKbps: 800, hdr: false };
const r1080hdr: RenditionSpec = { name: '1080p_hdr', codec: 'hevc', width: 1920, height: 1080, bitrateKbps: 8000, hdr: true };
const seg: SegmentSpec = { index: 1, startFrame: 120, frameCount: 60, startSec: 4, durationSec: 2, gopAligned: true };

function input(overrides: Partial<SegmentEncodeInput> = {}): SegmentEncodeInput {
  return { input: '/w/source', output: '/w/chunk.mp4', segment: seg, fps: { num: 30, den: 1 }, rendition: r360, accel: 'cpu', ...overrides };
}

const HEAD = ['-hide_banner', '-nostdin', '-v', 'error', '-y'];
const SEEK_4 = ['-threads', '1', '-ss', '4.000000', '-i', '/w/source', '-map', '0:v:0', '-an', '-sn', '-dn', '-map_metadata', '-1', '-frames:v', '60'];
const TAIL = [
  '-flags',
  '+bitexact',
  '-fflags',
  '+bitexact',
  '-output_ts_offset',
  '4.000000',
  '-movflags',
  '+frag_keyframe+empty_moov+default_base_moof+frag_discont+negative_cts_offsets',
  '-f',
  'mp4',
  '/w/chunk.mp4',
];

describe('buildSegmentEncodeArgs', () => {
  it('builds the measured libx264 recipe', () => {
    expect(buildSegmentEncodeArgs(input())).toEqual([
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-threads',
      '1',
      '-ss',
      '4.000000',
      '-i',
      '/w/source',
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      '-map_metadata',
      '-1',
      '-frames:v',
      '60',
      '-vf',
      'fps=30/1,scale=640:360:flags=bicubic+accurate_rnd+bitexact,format=yuv420p',
      '-c:v',
      'libx264',
      '-threads',
      '1',
      '-preset',
      'veryfast',
      '-profile:v',
      'high',
      '-b:v',
      '800k',
      '-maxrate',
      '856k',
      '-bufsize',
      '1600k',
      '-g',
      '100000',
      '-keyint_min',
      '100000',
      '-sc_threshold',
      '0',
      '-bf',
      '0',
      '-x264-params',
      'open-gop=0',
      '-flags',
      '+bitexact',
      '-fflags',
      '+bitexact',
      '-output_ts_offset',
      '4.000000',
      '-movflags',
      '+frag_keyframe+empty_moov+default_base_moof+frag_discont+negative_cts_offsets',
      '-f',
      'mp4',
      '/w/chunk.mp4',
    ]);
  });

  it('encodes a rendition marked fastest (the preview) at ultrafast, without deblocking the decode, area-scaled, everything else as the recipe', () => {
    const args = buildSegmentEncodeArgs(input({ rendition: { ...r360, name: 'preview_360p', speed: 'fastest' } }));
    expect(args[args.indexOf('-preset') + 1]).toBe('ultrafast');
    expect(args.filter((a) => a === '-preset')).toHaveLength(1);
    expect(args.slice(args.indexOf('-skip_loop_filter'), args.indexOf('-i'))).toEqual(['-skip_loop_filter', 'all', '-ss', '4.000000']);
    expect(args[args.indexOf('-vf') + 1]).toBe('fps=30/1,scale=640:360:flags=area+accurate_rnd+bitexact,format=yuv420p');
  });

  it('builds libx265 10-bit with PQ colour tags for an HDR rendition', () => {
    expect(buildSegmentEncodeArgs(input({ rendition: r1080hdr, sourceHdr: 'pq', fps: { num: 24000, den: 1001 } }))).toEqual([
      ...HEAD,
      ...SEEK_4,
      '-vf',
      'fps=24000/1001,scale=1920:1080:flags=bicubic+accurate_rnd+bitexact,format=yuv420p10le',
      '-c:v',
      'libx265',
      '-preset',
      'fast',
      '-tag:v',
      'hvc1',
      '-b:v',
      '8000k',
      '-maxrate',
      '8560k',
      '-bufsize',
      '16000k',
      '-color_primaries',
      'bt2020',
      '-color_trc',
      'smpte2084',
      '-colorspace',
      'bt2020nc',
      '-x265-params',
      'keyint=100000:min-keyint=100000:scenecut=0:open-gop=0:bframes=0:pools=1:frame-threads=1:log-level=error',
      ...TAIL,
    ]);
  });

  it('signals HLG when the source is HLG, and 8-bit without tags for SDR hevc', () => {
    const hlg = buildSegmentEncodeArgs(input({ rendition: r1080hdr, sourceHdr: 'hlg' }));
    expect(hlg[hlg.indexOf('-color_trc') + 1]).toBe('arib-std-b67');

    const sdr = buildSegmentEncodeArgs(input({ rendition: { ...r1080hdr, name: '2160p', hdr: false, width: 3840, height: 2160 } }));
    expect(sdr[sdr.indexOf('-vf') + 1]).toBe('fps=30/1,scale=3840:2160:flags=bicubic+accurate_rnd+bitexact,format=yuv420p');
    expect(sdr).not.toContain('-color_trc');
  });

  it('tone-maps SDR rungs of HDR sources to BT.709 and tags them; refuses an HDR rung of an SDR source', () => {
    for (const sourceHdr of ['pq', 'hlg'] as const) {
      const args = buildSegmentEncodeArgs(input({ sourceHdr }));
      expect(args[args.indexOf('-vf') + 1]).toBe(
        'fps=30/1,scale=640:360:flags=bicubic+accurate_rnd+bitexact,zscale=transfer=linear:npl=100,format=gbrpf32le,zscale=primaries=bt709,tonemap=tonemap=hable:desat=0,zscale=transfer=bt709:matrix=bt709:range=tv,format=yuv420p',
      );
      expect(args[args.indexOf('-color_trc') + 1]).toBe('bt709');
      expect(args[args.indexOf('-color_primaries') + 1]).toBe('bt709');
    }
    expect(() => buildSegmentEncodeArgs(input({ rendition: r1080hdr }))).toThrow(/needs an HDR source/);
  });

  it('stream-copies a keyframe-aligned segment onto the same timeline and fMP4 shape as an encode', () => {
    const segment = { index: 2, startFrame: 120, frameCount: 60, startSec: 4, durationSec: 2, gopAligned: true };
    // The same seek, frames and timeline as an encode, minus the decoder thread setting.
    expect(buildSegmentCopyArgs({ input: '/w/source', output: '/w/chunk.mp4', segment })).toEqual([...HEAD, ...SEEK_4.slice(2), '-c:v', 'copy', ...TAIL]);
    expect(() => buildSegmentCopyArgs({ input: '/w/source', output: '/w/chunk.mp4', segment: { ...segment, gopAligned: false } })).toThrow(/keyframe/);
  });

  it('builds h264_nvenc', () => {
    expect(buildSegmentEncodeArgs(input({ accel: 'nvenc' }))).toEqual([
      ...HEAD,
      ...SEEK_4,
      '-vf',
      'fps=30/1,scale=640:360:flags=bicubic+accurate_rnd+bitexact,format=yuv420p',
      '-c:v',
      'h264_nvenc',
      '-preset',
      'p4',
      '-tune',
      'hq',
      '-profile:v',
      'high',
      '-rc',
      'vbr',
      '-b:v',
      '800k',
      '-maxrate',
      '856k',
      '-bufsize',
      '1600k',
      '-g',
      '100000',
      '-bf',
      '0',
      '-no-scenecut',
      '1',
      '-forced-idr',
      '1',
      ...TAIL,
    ]);
  });

  it('builds hevc_nvenc main10 for HDR', () => {
    const args = buildSegmentEncodeArgs(input({ accel: 'nvenc', rendition: r1080hdr, sourceHdr: 'pq' }));
    expect(args.slice(args.indexOf('-vf'), args.indexOf('-flags'))).toEqual([
      '-vf',
      'fps=30/1,scale=1920:1080:flags=bicubic+accurate_rnd+bitexact,format=p010le',
      '-c:v',
      'hevc_nvenc',
      '-preset',
      'p4',
      '-tune',
      'hq',
      '-profile:v',
      'main10',
      '-tag:v',
      'hvc1',
      '-rc',
      'vbr',
      '-b:v',
      '8000k',
      '-maxrate',
      '8560k',
      '-bufsize',
      '16000k',
      '-color_primaries',
      'bt2020',
      '-color_trc',
      'smpte2084',
      '-colorspace',
      'bt2020nc',
      '-g',
      '100000',
      '-bf',
      '0',
      '-no-scenecut',
      '1',
      '-forced-idr',
      '1',
    ]);
  });

  it('builds h264_qsv with a QSV device and hwupload', () => {
    expect(buildSegmentEncodeArgs(input({ accel: 'qsv' }))).toEqual([
      ...HEAD,
      '-init_hw_device',
      'qsv=hw',
      '-filter_hw_device',
      'hw',
      ...SEEK_4,
      '-vf',
      'fps=30/1,scale=640:360:flags=bicubic+accurate_rnd+bitexact,format=nv12,hwupload=extra_hw_frames=64,format=qsv',
      '-c:v',
      'h264_qsv',
      '-preset',
      'veryfast',
      '-profile:v',
      'high',
      '-b:v',
      '800k',
      '-maxrate',
      '856k',
      '-bufsize',
      '1600k',
      '-g',
      '100000',
      '-bf',
      '0',
      '-idr_interval',
      '0',
      '-adaptive_i',
      '0',
      '-adaptive_b',
      '0',
      '-look_ahead',
      '0',
      ...TAIL,
    ]);
  });

  it('builds h264_vaapi with a VAAPI device and hwupload', () => {
    expect(buildSegmentEncodeArgs(input({ accel: 'vaapi' }))).toEqual([
      ...HEAD,
      '-init_hw_device',
      'vaapi=va:/dev/dri/renderD128',
      '-filter_hw_device',
      'va',
      ...SEEK_4,
      '-vf',
      'fps=30/1,scale=640:360:flags=bicubic+accurate_rnd+bitexact,format=nv12,hwupload',
      '-c:v',
      'h264_vaapi',
      '-profile:v',
      'high',
      '-rc_mode',
      'VBR',
      '-b:v',
      '800k',
      '-maxrate',
      '856k',
      '-bufsize',
      '1600k',
      '-g',
      '100000',
      '-bf',
      '0',
      '-idr_interval',
      '0',
      ...TAIL,
    ]);
  });

  it('uses p010 surfaces and main10 for HDR on vaapi, and honours a device override', () => {
    const args = buildSegmentEncodeArgs(input({ accel: 'vaapi', rendition: r1080hdr, sourceHdr: 'pq', encoderOptions: { vaapiDevice: '/dev/dri/renderD129' } }));
    expect(args).toContain('vaapi=va:/dev/dri/renderD129');
    expect(args[args.indexOf('-vf') + 1]).toMatch(/,format=p010,hwupload$/);
    expect(args.slice(args.indexOf('-c:v'), args.indexOf('-c:v') + 6)).toEqual(['-c:v', 'hevc_vaapi', '-profile:v', 'main10', '-tag:v', 'hvc1']);
  });

  it('formats start times with 6 decimals and keeps scale after fps', () => {
    const args = buildSegmentEncodeArgs(input({ segment: { ...seg, startFrame: 7, startSec: (7 * 1001) / 30000 }, fps: { num: 30000, den: 1001 } }));
    expect(args[args.indexOf('-ss') + 1]).toBe('0.233567');
    expect(args[args.indexOf('-output_ts_offset') + 1]).toBe('0.233567');
    expect(args[args.indexOf('-vf') + 1].indexOf('fps=')).toBeLessThan(args[args.indexOf('-vf') + 1].indexOf('scale='));
  });

  it('rejects inputs ffmpeg would misread or that cannot encode', () => {
    expect(() => buildSegmentEncodeArgs(input({ input: '-i' }))).toThrow(/must not start with "-"/);
    expect(() => buildSegmentEncodeArgs(input({ rendition: { ...r360, width: 641 } }))).toThrow(/even/);
    expect(() => buildSegmentEncodeArgs(input({ segment: { ...seg, frameCount: 0 } }))).toThrow(/frameCount/);
    expect(() => buildSegmentEncodeArgs(input({ rendition: { ...r360, hdr: true } }))).toThrow(/hevc/);
  });
});

describe('encoderFor', () => {
  it('maps codec x accel to one builder class each', () => {
    expect(encoderFor('h264', 'cpu')).toBeInstanceOf(X264Encoder);
    expect(encoderFor('hevc', 'cpu')).toBeInstanceOf(X265Encoder);
    expect(encoderFor('hevc', 'nvenc')).toBeInstanceOf(NvencEncoder);
    expect(encoderFor('h264', 'qsv')).toBeInstanceOf(QsvEncoder);
    expect(encoderFor('h264', 'vaapi')).toBeInstanceOf(VaapiEncoder);
    expect(['h264', 'hevc'].flatMap((c) => ['cpu', 'nvenc', 'qsv', 'vaapi'].map((a) => encoderFor(c as 'h264', a as 'cpu').encoder))).toEqual([
      'libx264',
      'h264_nvenc',
      'h264_qsv',
      'h264_vaapi',
      'libx265',
      'hevc_nvenc',
      'hevc_qsv',
      'hevc_vaapi',
    ]);
  });
});

describe('buildAudioEncodeArgs', () => {
  it('encodes the first audio stream to AAC-LC 128k 48 kHz stereo fMP4', () => {
    expect(buildAudioEncodeArgs({ input: '/w/source', output: '/w/audio.mp4' })).toEqual([
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-i',
      '/w/source',
      '-map',
      '0:a:0',
      '-vn',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-flags',
      '+bitexact',
      '-fflags',
      '+bitexact',
      '-movflags',
      '+frag_keyframe+empty_moov+default_base_moof',
      '-f',
      'mp4',
      '/w/audio.mp4',
    ]);
  });
});

describe('ffprobe argument builders', () => {
  it('builds header, keyframe and frame-count probes', () => {
    expect(buildProbeArgs('/w/s')).toEqual(['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '/w/s']);
    expect(buildKeyframeArgs('/w/s')).toEqual([
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'packet=pts_time,size,pos,flags',
      '-of',
      'compact=p=0',
      '/w/s',
    ]);
    expect(buildCountFramesArgs('/w/s')).toEqual([
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=nb_read_frames',
      '-of',
      'csv=p=0',
      '/w/s',
    ]);
  });
});

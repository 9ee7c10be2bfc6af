import { probeOutcomeSchema, type ProbeOutcome } from '@airlock/contracts';
import {
  audioStream,
  displayMatrix,
  evidence,
  ffprobeJson,
  MP4_HEAD,
  TEXT_HEAD,
  videoStream,
} from './ffprobe.fixtures';
import { normalizeRotation, parseProbe, parseRate, rebaseKeyframes } from './probe-parse';

function ok(outcome: ProbeOutcome) {
  if (!outcome.ok) throw new Error(`expected ok, got ${outcome.code}: ${outcome.message}`);
  return outcome.probe;
}

function rejected(outcome: ProbeOutcome) {
  if (outcome.ok) throw new Error('expected a rejection');
  return outcome;
}

describe('parseProbe: accepted media', () => {
  it('describes a healthy H.264/AAC MP4', () => {
    const outcome = parseProbe(evidence());
    expect(probeOutcomeSchema.parse(outcome)).toEqual(outcome);
    expect(ok(outcome)).toEqual({
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationSec: 10,
      sizeBytes: 5_000_000,
      bitRate: 4_000_000,
      video: {
        codec: 'h264',
        profile: 'High',
        width: 1920,
        height: 1080,
        rotation: 0,
        fps: { num: 30, den: 1 },
        variableFrameRate: false,
        pixFmt: 'yuv420p',
        colorTransfer: 'bt709',
        colorPrimaries: 'bt709',
        hdr: 'none',
        durationSec: 10,
        frameCount: 300,
        bitRate: 4_000_000,
        keyframeTimes: [0, 2, 4, 6, 8],
      },
      audio: { codec: 'aac', channels: 2, sampleRate: 48000, durationSec: 10 },
    });
  });

  it('reduces NTSC rates and flags variable frame rate when r and avg differ by more than 1%', () => {
    const cfr = ok(parseProbe(evidence({ ffprobe: ffprobeJson([videoStream({ avg_frame_rate: '60000/2002', r_frame_rate: '30000/1001' })]) })));
    expect(cfr.video?.fps).toEqual({ num: 30000, den: 1001 });
    expect(cfr.video?.variableFrameRate).toBe(false);

    const vfr = ok(parseProbe(evidence({ ffprobe: ffprobeJson([videoStream({ avg_frame_rate: '2500/100', r_frame_rate: '30/1' })]) })));
    expect(vfr.video?.fps).toEqual({ num: 25, den: 1 });
    expect(vfr.video?.variableFrameRate).toBe(true);

    const fallback = ok(parseProbe(evidence({ ffprobe: ffprobeJson([videoStream({ avg_frame_rate: '0/0', r_frame_rate: '24/1' })]) })));
    expect(fallback.video?.fps).toEqual({ num: 24, den: 1 });
    expect(fallback.video?.variableFrameRate).toBe(false);
  });

  it('derives frameCount from duration x fps when nb_frames is missing (mkv/webm)', () => {
    const probe = ok(
      parseProbe(
        evidence({
          ffprobe: ffprobeJson([videoStream({ codec_name: 'vp9', nb_frames: undefined, duration: undefined, avg_frame_rate: '30000/1001' })], {
            format_name: 'matroska,webm',
            duration: '10.010000',
          }),
        }),
      ),
    );
    expect(probe.video?.durationSec).toBe(10.01);
    expect(probe.video?.frameCount).toBe(300);
  });

  it('reads rotation from the display matrix (counter-clockwise) or the legacy rotate tag (clockwise)', () => {
    const rotation = (s: Parameters<typeof videoStream>[0]) => ok(parseProbe(evidence({ ffprobe: ffprobeJson([videoStream(s)]) }))).video?.rotation;
    expect(rotation({ side_data_list: [displayMatrix(-90)] })).toBe(90);
    expect(rotation({ side_data_list: [displayMatrix(90)] })).toBe(270);
    expect(rotation({ side_data_list: [displayMatrix(180)] })).toBe(180);
    expect(rotation({ side_data_list: [displayMatrix(-180)] })).toBe(180);
    expect(rotation({ tags: { rotate: '90' } })).toBe(90);
    expect(rotation({ tags: { rotate: '270' } })).toBe(270);
    expect(rotation({ side_data_list: [{ side_data_type: 'Content light level metadata' }] })).toBe(0);
    expect(normalizeRotation(-270)).toBe(90);
    expect(normalizeRotation(359.6)).toBe(0);
    expect(normalizeRotation(450)).toBe(90);
  });

  it('classifies PQ and HLG transfer as HDR', () => {
    const hdr = (color_transfer: string) =>
      ok(parseProbe(evidence({ ffprobe: ffprobeJson([videoStream({ codec_name: 'hevc', color_transfer, pix_fmt: 'yuv420p10le' })]) }))).video?.hdr;
    expect(hdr('smpte2084')).toBe('pq');
    expect(hdr('arib-std-b67')).toBe('hlg');
    expect(hdr('bt709')).toBe('none');
  });

  it('rebases keyframe times onto the container start (MPEG-TS starts at 1.4 s)', () => {
    const probe = ok(
      parseProbe(
        evidence({
          ffprobe: ffprobeJson([videoStream(), audioStream()], { format_name: 'mpegts', start_time: '1.400000' }),
          keyframeTimes: [1.4, 3.4000001, 5.4, 1.4],
        }),
      ),
    );
    expect(probe.video?.keyframeTimes).toEqual([0, 2, 4]);
  });

  it('accepts audio-only files and ignores cover art', () => {
    const probe = ok(
      parseProbe(
        evidence({
          ffprobe: ffprobeJson(
            [audioStream({ index: 0, codec_name: 'mp3' }), videoStream({ index: 1, codec_name: 'mjpeg', disposition: { attached_pic: 1 } })],
            { format_name: 'mp3' },
          ),
          keyframeTimes: [],
        }),
      ),
    );
    expect(probe.video).toBeUndefined();
    expect(probe.audio?.codec).toBe('mp3');
  });

  it('accepts any PCM layout', () => {
    expect(parseProbe(evidence({ ffprobe: ffprobeJson([videoStream({ codec_name: 'prores' }), audioStream({ codec_name: 'pcm_s24le' })]) })).ok).toBe(
      true,
    );
  });
});

describe('parseProbe: rejections', () => {
  it('rejects a zero-byte upload', () => {
    expect(parseProbe(evidence({ sizeBytes: 0 }))).toMatchObject({ ok: false, code: 'empty_upload' });
  });

  it('calls an unopenable file that starts with ftyp truncated, anything else not media', () => {
    expect(parseProbe(evidence({ ffprobe: null, head: MP4_HEAD }))).toMatchObject({ ok: false, code: 'truncated_media' });
    expect(parseProbe(evidence({ ffprobe: null, head: TEXT_HEAD }))).toMatchObject({ ok: false, code: 'not_media' });
    expect(parseProbe(evidence({ ffprobe: null }))).toMatchObject({ ok: false, code: 'not_media' });
  });

  it('rejects still images and text that ffprobe can open', () => {
    const png = ffprobeJson([videoStream({ codec_name: 'png', nb_frames: undefined })], { format_name: 'png_pipe', duration: undefined });
    expect(parseProbe(evidence({ ffprobe: png }))).toMatchObject({ ok: false, code: 'not_media' });
    const text = ffprobeJson([videoStream({ codec_name: 'ansi' })], { format_name: 'tty' });
    expect(parseProbe(evidence({ ffprobe: text }))).toMatchObject({ ok: false, code: 'not_media' });
    const image2 = ffprobeJson([videoStream({ codec_name: 'mjpeg' })], { format_name: 'image2' });
    expect(parseProbe(evidence({ ffprobe: image2 }))).toMatchObject({ ok: false, code: 'not_media' });
  });

  it('rejects containers without audio or video streams', () => {
    const subsOnly = ffprobeJson([{ index: 0, codec_type: 'subtitle', codec_name: 'subrip' }], { format_name: 'srt' });
    expect(parseProbe(evidence({ ffprobe: subsOnly }))).toMatchObject({ ok: false, code: 'not_media' });
    expect(parseProbe(evidence({ ffprobe: {} }))).toMatchObject({ ok: false, code: 'not_media' });
    expect(parseProbe(evidence({ ffprobe: 'garbage' }))).toMatchObject({ ok: false, code: 'not_media' });
  });

  it('calls files with demuxer errors or without a duration truncated', () => {
    const errors = ['[mov,mp4,m4a,3gp,3g2,mj2 @ 0x1] stream 0, offset 0x95f44: partial file'];
    const withErrors = rejected(parseProbe(evidence({ errorLines: errors })));
    expect(withErrors.code).toBe('truncated_media');
    expect(withErrors.message).not.toContain('0x95f44');

    const noDuration = ffprobeJson([videoStream({ duration: 'N/A' }), audioStream({ duration: undefined })], { duration: '0.000000' });
    expect(parseProbe(evidence({ ffprobe: noDuration }))).toMatchObject({ ok: false, code: 'truncated_media' });

    const noSize = ffprobeJson([videoStream({ width: 0, height: 0 })]);
    expect(parseProbe(evidence({ ffprobe: noSize }))).toMatchObject({ ok: false, code: 'truncated_media' });
  });

  it('refuses a decompression bomb from its header, before any other check, and keeps 8K', () => {
    const bomb = ffprobeJson([videoStream({ width: 12000, height: 12000, duration: 'N/A' })], { duration: 'N/A' });
    expect(parseProbe(evidence({ ffprobe: bomb, errorLines: ['Truncating packet'] }))).toEqual({
      ok: false,
      code: 'absurd_dimensions',
      message: 'The video header declares 12000x12000 pixels per frame.',
    });
    expect(ok(parseProbe(evidence({ ffprobe: ffprobeJson([videoStream({ width: 7680, height: 4320 })]) }))).video?.width).toBe(7680);
  });

  it('rejects unsupported video and audio codecs by name', () => {
    const video = rejected(parseProbe(evidence({ ffprobe: ffprobeJson([videoStream({ codec_name: 'wmv3' }), audioStream()]) })));
    expect(video).toEqual({ ok: false, code: 'unsupported_codec', message: 'The video codec "wmv3" is not supported.' });
    const audio = rejected(parseProbe(evidence({ ffprobe: ffprobeJson([videoStream(), audioStream({ codec_name: 'dts' })]) })));
    expect(audio).toEqual({ ok: false, code: 'unsupported_codec', message: 'The audio codec "dts" is not supported.' });
  });

  it('never puts paths or ffprobe text into messages', () => {
    const cases = [
      evidence({ ffprobe: null, errorLines: ['/tmp/uploads/secret-name.mp4: Invalid data found when processing input'] }),
      evidence({ errorLines: ['/tmp/uploads/secret-name.mp4: partial file'] }),
      evidence({ ffprobe: ffprobeJson([videoStream({ codec_name: '/etc/passwd' })]) }),
    ];
    for (const c of cases) {
      const { message } = rejected(parseProbe(c));
      expect(message).not.toMatch(/\/tmp|secret|\/etc/);
    }
  });
});

describe('probe parsing helpers', () => {
  it('parses and reduces rates', () => {
    expect(parseRate('60000/2002')).toEqual({ num: 30000, den: 1001 });
    expect(parseRate('0/0')).toBeUndefined();
    expect(parseRate('abc')).toBeUndefined();
    expect(parseRate(undefined)).toBeUndefined();
  });


  it('rebases, dedupes, sorts and drops pre-roll keyframes', () => {
    expect(rebaseKeyframes([10.5, 10, 9.9, 12], 10)).toEqual([0, 0.5, 2]);
    expect(rebaseKeyframes([0, 2], undefined)).toEqual([0, 2]);
  });
});

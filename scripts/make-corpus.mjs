#!/usr/bin/env node
// The media-correctness corpus, generated with FFmpeg (never downloaded): the videos people
// actually send, and the broken files they send by mistake.
//
//   node scripts/make-corpus.mjs OUT_DIR [--only name,name]
//
// Writes each case into OUT_DIR and prints one line per file. The end-to-end corpus test
// (e2e/src/corpus.e2e.spec.ts) holds what each case must produce.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ffmpeg = (...args) => execFileSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
const picture = (size, fps, sec) => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}:duration=${sec}`];
const tone = (sec) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${sec}`];
const h264 = (fps) => ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(Math.round(fps * 2))];
const aac = ['-c:a', 'aac', '-b:a', '96k', '-shortest'];

/** 10-bit HEVC with BT.2020 tags and the given transfer (smpte2084 = PQ, arib-std-b67 = HLG). */
const hdr = (transfer) => [
  ...['-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', '-tag:v', 'hvc1'],
  ...['-x265-params', `log-level=error:keyint=60:colorprim=bt2020:transfer=${transfer}:colormatrix=bt2020nc`],
  ...['-color_primaries', 'bt2020', '-color_trc', transfer, '-colorspace', 'bt2020nc'],
];

/**
 * FFmpeg 5.1 cannot write a display matrix, so set the first track header's matrix to a
 * quarter turn, as phones do for portrait video recorded with the sensor in landscape.
 */
function rotateQuarterTurn(file) {
  const bytes = readFileSync(file);
  const at = bytes.indexOf('tkhd') - 4;
  const version = bytes[at + 8];
  const matrix = at + (version === 0 ? 48 : 60);
  const values = [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000];
  values.forEach((v, i) => bytes.writeInt32BE(v, matrix + i * 4));
  writeFileSync(file, bytes);
}

const CASES = {
  '1080p30-audio.mp4': (f) => ffmpeg(...picture('1920x1080', 30, 6), ...tone(6), ...h264(30), ...aac, f),
  '4k60.mp4': (f) => ffmpeg(...picture('3840x2160', 60, 2), ...tone(2), ...h264(60), ...aac, f),
  'portrait-1080x1920.mp4': (f) => ffmpeg(...picture('1080x1920', 30, 4), ...tone(4), ...h264(30), ...aac, f),
  'rotated-90.mp4': (f) => {
    ffmpeg(...picture('1280x720', 30, 4), ...tone(4), ...h264(30), ...aac, f);
    rotateQuarterTurn(f);
  },
  // A screen recording: frames only when something changed, at irregular intervals.
  'vfr-screen.mp4': (f) => ffmpeg(...picture('1280x720', 30, 6), '-vf', "select='lt(mod(n\\,10)\\,4)+eq(mod(n\\,7)\\,0)'", '-fps_mode', 'vfr', ...h264(30), f),
  // Already a 720p rung: H.264 High, 2 Mb/s, keyframes every 2 s, B-frames as phones write them.
  'conforming-720p.mp4': (f) =>
    ffmpeg(...picture('1280x720', 30, 6), ...tone(6), '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-b:v', '2000k', '-maxrate', '2000k', '-bufsize', '4000k', ...aac, f),
  'hdr-pq.mp4': (f) => ffmpeg(...picture('1920x1080', 30, 2), ...tone(2), ...hdr('smpte2084'), ...aac, f),
  'hdr-hlg.mp4': (f) => ffmpeg(...picture('1920x1080', 30, 2), ...tone(2), ...hdr('arib-std-b67'), ...aac, f),
  'no-audio.mp4': (f) => ffmpeg(...picture('640x360', 30, 4), ...h264(30), f),
  'audio-only.m4a': (f) => ffmpeg(...tone(5), '-c:a', 'aac', '-b:a', '96k', f),
  'odd-1278x718.mp4': (f) => ffmpeg(...picture('1278x718', 30, 4), ...tone(4), ...h264(30), ...aac, f),
  'one-second.mp4': (f) => ffmpeg(...picture('640x360', 30, 1), ...tone(1), ...h264(30), ...aac, f),
  'long-12min-lowres.mp4': (f) => ffmpeg(...picture('192x108', 15, 720), ...tone(720), ...h264(15), ...aac, f),
  'truncated.mp4': (f, dir) => {
    const whole = join(dir, '.whole.mp4');
    ffmpeg(...picture('1280x720', 30, 4), ...tone(4), ...h264(30), ...aac, whole);
    const bytes = readFileSync(whole);
    writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length * 0.4)));
  },
  'zero-byte.mp4': (f) => writeFileSync(f, Buffer.alloc(0)),
  'text.mp4': (f) => writeFileSync(f, 'Minutes of the Tuesday meeting.\n'.repeat(300)),
  // A header that promises 12000x12000 frames: decoding even one would need ~200 MB.
  'absurd-dimensions.y4m': (f) => writeFileSync(f, Buffer.concat([Buffer.from('YUV4MPEG2 W12000 H12000 F30:1 Ip A1:1 C420jpeg\nFRAME\n'), Buffer.alloc(4096)])),
};

const [dir, ...rest] = process.argv.slice(2);
if (!dir) {
  process.stderr.write(`usage: make-corpus.mjs OUT_DIR [--only ${Object.keys(CASES).join(',')}]\n`);
  process.exit(2);
}
const only = rest[0] === '--only' ? new Set(rest[1]?.split(',')) : undefined;
mkdirSync(dir, { recursive: true });
for (const [name, make] of Object.entries(CASES)) {
  if (only && !only.has(name)) continue;
  make(join(dir, name), dir);
  process.stdout.write(`${join(dir, name)}\n`);
}

// Synthetic sources for the benchmarks, made with FFmpeg's lavfi (testsrc2 + a sine tone) and
// cached by their parameters under $TMPDIR/airlock-bench-sources, so a rerun does not pay again.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CACHE = join(tmpdir(), 'airlock-bench-sources');

/**
 * An H.264/AAC MP4 of `seconds` at `width`x`height`, `fps`, keyframe every 2 s (as phones do).
 * The video bitrate is set above every rung's cap (5.35 Mb/s for 1080p), so no rung is a
 * stream copy of the source and every rung is a real encode.
 */
export function testClip({ seconds, width = 1920, height = 1080, fps = 30, videoKbps }) {
  const kbps = videoKbps ?? Math.round((8000 * width * height) / (1920 * 1080));
  return make(`clip-${width}x${height}-${fps}-${seconds}s-${kbps}k.mp4`, [
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
    '-b:v', `${kbps}k`, '-minrate', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps * 2}k`,
    '-g', String(2 * fps), '-keyint_min', String(2 * fps),
    '-c:a', 'aac', '-b:a', '128k', '-shortest', '-movflags', '+faststart',
  ]);
}

/**
 * A source of about `bytes` that is cheap to make and to decode: 640x360 testsrc2 in
 * constant-bitrate H.264 whose HRD filler data pads every second to the same size, so the file
 * size is set by the bitrate while the picture content (and the decode work) stays the same.
 */
export function paddedClip({ bytes, seconds }) {
  const kbps = Math.round((bytes * 8) / seconds / 1000);
  return make(`padded-360p-${seconds}s-${kbps}k.mp4`, [
    '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=30:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-qmin', '18',
    '-b:v', `${kbps}k`, '-minrate', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`, '-x264-params', 'nal-hrd=cbr',
    '-g', '60', '-keyint_min', '60',
    '-c:a', 'aac', '-b:a', '128k', '-shortest',
  ]);
}

function make(name, args) {
  mkdirSync(CACHE, { recursive: true });
  const path = join(CACHE, name);
  if (existsSync(path)) return path;
  const partial = `${path}.partial.mp4`;
  process.stderr.write(`generating ${name} ... `);
  const started = Date.now();
  execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args, partial], { stdio: ['ignore', 'inherit', 'inherit'] });
  renameSync(partial, path);
  process.stderr.write(`${(statSync(path).size / 1e6).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return path;
}

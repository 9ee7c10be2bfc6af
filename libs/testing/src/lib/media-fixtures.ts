import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Generated test media (never downloaded): a synthetic picture and tone, keyframes every 2 s. */
export async function makeClip(dir: string, name: string, opts: { width: number; height: number; seconds: number; fps?: number; audio?: boolean }): Promise<string> {
  const out = join(dir, name);
  const fps = opts.fps ?? 30;
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${opts.width}x${opts.height}:rate=${fps}:duration=${opts.seconds}`];
  if (opts.audio ?? true) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${opts.seconds}`, '-c:a', 'aac', '-b:a', '64k');
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(fps * 2), '-keyint_min', String(fps * 2), '-pix_fmt', 'yuv420p', '-shortest', '-movflags', '+faststart', out);
  await run('ffmpeg', args);
  return out;
}

/** The first `fraction` of a real file: an upload cut off mid-way. */
export function truncateCopy(src: string, dest: string, fraction: number): string {
  const buf = readFileSync(src);
  writeFileSync(dest, buf.subarray(0, Math.floor(buf.length * fraction)));
  return dest;
}

export function textFile(dest: string): string {
  writeFileSync(dest, 'This is a meeting note, not a video.\n'.repeat(200));
  return dest;
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from './process-runner';

/**
 * Tiny synthetic clips for integration tests, generated with ffmpeg's lavfi sources so
 * no media files live in the repo. Defaults: 6 s, 640x360, 30 fps, a keyframe every 2 s,
 * 48 kHz AAC. ultrafast keeps generation well under a second.
 */

export interface ClipOptions {
  readonly seconds?: number;
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  readonly keyframeEverySec?: number;
  readonly audio?: boolean;
  /** Extra output options, e.g. ['-movflags', '+faststart']. */
  readonly extra?: readonly string[];
}

export async function makeClip(path: string, o: ClipOptions = {}): Promise<string> {
  const seconds = o.seconds ?? 6;
  const fps = o.fps ?? 30;
  const gop = String(Math.round(fps * (o.keyframeEverySec ?? 2)));
  const audioIn = o.audio === false ? [] : ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`];
  const audioOut = o.audio === false ? ['-an'] : ['-c:a', 'aac', '-b:a', '64k'];
  await runProcess(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${o.width ?? 640}x${o.height ?? 360}:rate=${fps}:duration=${seconds}`,
      ...audioIn,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-g',
      gop,
      '-keyint_min',
      gop,
      '-sc_threshold',
      '0',
      ...audioOut,
      ...(o.extra ?? []),
      path,
    ],
    { timeoutMs: 30_000 },
  );
  return path;
}

export async function makeStillImage(path: string): Promise<string> {
  await runProcess('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=64x64', '-frames:v', '1', path], {
    timeoutMs: 30_000,
  });
  return path;
}

export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `airlock-media-${prefix}-`));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

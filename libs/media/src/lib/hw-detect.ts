import { encoderFor } from './encoder.factory';
import { runProcess } from './process-runner';
import type { Accel } from './video-encoder.types';

const HW_ENCODERS: readonly (readonly [Accel, string])[] = [
  ['nvenc', 'h264_nvenc'],
  ['qsv', 'h264_qsv'],
  ['vaapi', 'h264_vaapi'],
];

/** Hardware classes whose H.264 encoder this ffmpeg build has compiled in (from `ffmpeg -encoders`). */
export function compiledAccels(encodersListing: string): Accel[] {
  const names = new Set(encodersListing.split('\n').map((line) => line.trim().split(/\s+/)[1]));
  return HW_ENCODERS.filter(([, encoder]) => names.has(encoder)).map(([accel]) => accel);
}

/** A tenth of a second of a synthetic picture through the class's own device setup and encoder. */
export function smokeEncodeArgs(accel: Accel): string[] {
  const encoder = encoderFor('h264', accel);
  const rendition = { name: 'smoke', codec: 'h264' as const, width: 256, height: 144, bitrateKbps: 300, hdr: false };
  const target = { rendition, hdrTransfer: 'pq' as const };
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    ...encoder.deviceArgs(),
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=256x144:rate=10:duration=0.1',
    '-vf',
    encoder.outputFilters(target).join(','),
    ...encoder.codecArgs(target),
    '-f',
    'null',
    '-',
  ];
}

export type CommandRunner = (cmd: string, args: readonly string[]) => Promise<{ stdout: string }>;

const runFfmpeg: CommandRunner = (cmd, args) => runProcess(cmd, args, { timeoutMs: 15_000 });

/**
 * Which encoders this worker can really use, probed once at start: a class counts only when
 * its encoder is compiled in and a smoke encode on the device succeeds (a build with NVENC on
 * a machine without an NVIDIA GPU fails the smoke test). The CPU is always there, last.
 */
export async function detectAccels(run: CommandRunner = runFfmpeg): Promise<Accel[]> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-encoders']);
  const usable: Accel[] = [];
  for (const accel of compiledAccels(stdout)) {
    const works = await run('ffmpeg', smokeEncodeArgs(accel)).then(
      () => true,
      () => false,
    );
    if (works) usable.push(accel);
  }
  return [...usable, 'cpu'];
}

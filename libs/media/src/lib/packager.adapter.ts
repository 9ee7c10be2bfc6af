import { createRequire } from 'node:module';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { zeroMehdDuration } from './mp4-boxes';
import { runProcess } from './process-runner';

/**
 * Shaka Packager turns ffmpeg's fragmented MP4 into CMAF init + media segments (styp,
 * sidx, one moof per segment), the form the HLS and DASH manifests reference. It packages
 * clear: the worker encrypts each init and media segment whole afterwards (AES-128-CBC,
 * HLS METHOD=AES-128), so nothing here knows a key.
 */

export interface PackagerOptions {
  /** Packager executable; defaults to the binary shipped in the shaka-packager npm package. */
  readonly packagerPath?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const DEFAULT_PACKAGER_TIMEOUT_MS = 300_000;

/** Segment files are written as seg_<n>.m4s, n counting from 1. */
const SEGMENT_TEMPLATE = 'seg_$Number$.m4s';
const SEGMENT_FILE = /^seg_(\d+)\.m4s$/;

export function defaultPackagerPath(): string {
  return join(dirname(resolvePackagerPackage()), 'bin', packagerBinaryName());
}

/**
 * Locates shaka-packager/package.json the way require.resolve would, but through
 * createRequire: webpack rewrites a literal `require.resolve(...)` in bundled apps into a
 * module id ("shaka-packager/package.json"), which is not a path. Resolution starts next to
 * this module (the bundle in production, the source under jest) and falls back to the cwd.
 */
function resolvePackagerPackage(): string {
  const bases = [...(typeof __filename === 'string' ? [__filename] : []), join(process.cwd(), 'index.js')];
  for (const base of bases) {
    try {
      return createRequire(base).resolve('shaka-packager/package.json');
    } catch {
      // try the next base
    }
  }
  throw new Error('shaka-packager is not installed; pass packagerPath');
}

/** The npm package ships one binary per platform; the worker image is linux x64. */
function packagerBinaryName(): string {
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  if (process.platform === 'darwin') return `packager-osx-${arch}`;
  if (process.platform === 'win32') return 'packager-win-x64.exe';
  return `packager-linux-${arch}`;
}

function packagerBin(options: PackagerOptions): string {
  return options.packagerPath ?? defaultPackagerPath();
}

function runPackager(args: string[], cwd: string, options: PackagerOptions) {
  return runProcess(packagerBin(options), args, {
    cwd,
    timeoutMs: options.timeoutMs ?? DEFAULT_PACKAGER_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Stream descriptors are comma-separated key=value lists, so a path containing ',' or '='
 * would be split into bogus fields. Our temp paths never do; refuse rather than mis-package.
 */
function descriptorPath(path: string): string {
  const abs = resolve(path);
  if (/[,=]/.test(abs)) throw new RangeError('packager paths must not contain "," or "="');
  return abs;
}

/**
 * Flags shared by every packaging run:
 * --use_fake_clock_for_muxer: fixed creation/modification times, so output is byte-deterministic.
 * --quiet: errors only; progress would just fill the stderr buffer.
 * --io_cache_size 1 MiB: the default threaded I/O cache (32 MiB per file) is allocated and
 *   touched on every run, about 40 ms of system CPU and 70 MB of memory for a chunk the
 *   packager otherwise packages in under 10 ms. Output bytes are the same. Not 0 (no threaded
 *   I/O): spawned 8 at a time from Node, 33 of 160 runs hung for good; 1 MiB: 0 of 1,200.
 */
const COMMON_FLAGS = ['--use_fake_clock_for_muxer', '--quiet', '--io_cache_size', String(1 << 20)];

export interface VideoChunkPackaging {
  /** ffmpeg's fragmented MP4 of one segment x rendition chunk. */
  readonly input: string;
  readonly initOut: string;
  readonly segmentOut: string;
}

/**
 * Packages one encoded chunk as exactly one media segment plus an init segment.
 *
 * --segment_duration 3600 is "longer than any chunk": the chunk (one GOP) becomes one
 * segment, so segment boundaries are the planner's chunk boundaries. The segment keeps the
 * chunk's tfdt (start time on the whole-video timeline). The init's mehd is zeroed so
 * every chunk of a rendition yields the same init bytes.
 */
export async function packageVideoChunk(job: VideoChunkPackaging, options: PackagerOptions = {}): Promise<{ init: string; segment: string }> {
  const input = descriptorPath(job.input);
  const initPath = descriptorPath(job.initOut);
  const segmentPath = resolve(job.segmentOut);
  // A private scratch dir next to the output: the packager names segments itself, and a
  // fresh dir means the one file found there is ours (and rename stays on one filesystem).
  const scratch = await mkdtemp(join(dirname(segmentPath), `.pkg-${basename(segmentPath)}-`));
  try {
    const template = descriptorPath(join(scratch, SEGMENT_TEMPLATE));
    await runPackager(
      [
        `in=${input},stream=video,init_segment=${initPath},segment_template=${template}`,
        '--segment_duration',
        '3600',
        ...COMMON_FLAGS,
      ],
      scratch,
      options,
    );
    const produced = await listSegments(scratch);
    if (produced.length !== 1) {
      throw new Error(`packager produced ${produced.length} segments for one chunk; expected exactly 1`);
    }
    await rename(produced[0], segmentPath);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await writeFile(initPath, zeroMehdDuration(await readFile(initPath)));
  return { init: initPath, segment: segmentPath };
}

export interface AudioPackaging {
  /** ffmpeg's fragmented AAC MP4 of the whole file. */
  readonly input: string;
  /** Directory that receives init.mp4 and seg_<n>.m4s (created if missing); must not already hold segments. */
  readonly outDir: string;
  readonly segmentSec: number;
}

/** Packages the whole-file audio into an init segment and ~segmentSec media segments, in playback order. */
export async function packageAudio(job: AudioPackaging, options: PackagerOptions = {}): Promise<{ init: string; segments: string[] }> {
  if (!(job.segmentSec > 0)) throw new RangeError('segmentSec must be positive');
  const input = descriptorPath(job.input);
  const outDir = descriptorPath(job.outDir);
  await mkdir(outDir, { recursive: true });
  if ((await listSegments(outDir)).length > 0) {
    throw new Error('audio output directory already contains segments; use a fresh directory');
  }
  const initPath = join(outDir, 'init.mp4');
  await runPackager(
    [
      `in=${input},stream=audio,init_segment=${initPath},segment_template=${join(outDir, SEGMENT_TEMPLATE)}`,
      '--segment_duration',
      String(job.segmentSec),
      ...COMMON_FLAGS,
    ],
    outDir,
    options,
  );
  const segments = await listSegments(outDir);
  if (segments.length === 0) throw new Error('packager produced no audio segments');
  return { init: initPath, segments };
}

/** seg_<n>.m4s files in numeric order (seg_10 after seg_9, which a string sort gets wrong). */
async function listSegments(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .map((name) => ({ name, m: SEGMENT_FILE.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]))
    .map((x) => join(dir, x.name));
}

export interface EncoderBuildOptions {
  readonly ffmpegPath?: string;
  readonly packagerPath?: string;
}

let buildCache: { key: string; value: Promise<string> } | undefined;

/**
 * Identifies the tools that produced an output ("ffmpeg version 5.1.x; packager version
 * v3.4.2-..."), recorded in every task report so a change in output bytes can be traced to
 * a tool upgrade. Cached per process: the binaries do not change under a running worker.
 */
export function encoderBuild(options: EncoderBuildOptions = {}): Promise<string> {
  const ffmpeg = options.ffmpegPath ?? 'ffmpeg';
  const packager = options.packagerPath ?? defaultPackagerPath();
  const key = `${ffmpeg}\0${packager}`;
  if (buildCache?.key !== key) {
    const value = readEncoderBuild(ffmpeg, packager);
    buildCache = { key, value };
    // A failed lookup (binary missing at startup) must not be cached forever.
    value.catch(() => {
      if (buildCache?.value === value) buildCache = undefined;
    });
  }
  return buildCache.value;
}

async function readEncoderBuild(ffmpeg: string, packager: string): Promise<string> {
  const opts = { timeoutMs: 30_000 };
  const [ff, pk] = await Promise.all([runProcess(ffmpeg, ['-version'], opts), runProcess(packager, ['--version'], opts)]);
  // "ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 ..." -> drop the copyright tail.
  const ffLine = firstLine(ff.stdout).replace(/\s+Copyright.*$/i, '');
  const pkLine = firstLine(pk.stdout || pk.stderr);
  return `${ffLine}; ${pkLine}`;
}

function firstLine(text: string): string {
  return text.split(/\r?\n/).find((l) => l.trim().length > 0)?.trim() ?? 'unknown';
}

import type { ProbeOutcome } from '@airlock/contracts';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildCountFramesArgs, buildKeyframeArgs, buildProbeArgs } from './ffmpeg-args.builder';
import { ProcessError, runProcess } from './process-runner';
import { errorLinesOf, parseProbe } from './probe-parse';
import { parsePacketIndex, SourceByteMap, sourceByteMap } from './source-byte-map';

export interface ProbeOptions {
  /** ffprobe executable; defaults to the one in PATH. */
  readonly ffprobePath?: string;
  /** Per ffprobe invocation. The packet listing of a long file is the slow part. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const DEFAULT_PROBE_TIMEOUT_MS = 120_000;

/**
 * Describes a local media file or rejects it with a terminal reason code.
 *
 * Two ffprobe runs side by side: headers (-show_format -show_streams) and a packet listing of
 * the first video stream (of the first audio stream, after the headers, for audio-only files).
 * The listing yields keyframe times without decoding and, as a side effect, reads the whole
 * file, so a truncated or corrupt file shows up as demuxer errors.
 *
 * Media problems resolve to { ok: false }; infrastructure problems (ffprobe missing,
 * timeout, unreadable path) throw, so the job is retried instead of failing the upload.
 */
export async function probeFile(file: string, options: ProbeOptions = {}): Promise<ProbeOutcome> {
  // Absolute, so a relative name like "clip:1.mp4" is not taken for a protocol and "-x" not for an option.
  const path = resolve(file);
  const sizeBytes = (await stat(path)).size;
  if (sizeBytes === 0) return parseProbe({ sizeBytes, ffprobe: null, errorLines: [], keyframeTimes: [] });

  const bin = options.ffprobePath ?? 'ffprobe';
  const run = (args: string[]) =>
    runProcess(bin, args, {
      timeoutMs: options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      ...(options.signal ? { signal: options.signal } : {}),
    });

  const head = await readHead(path, 16);
  // The video stream's packet scan runs beside the header read (each ffprobe costs about 0.15 s
  // to start, on the way to the first preview); an audio-only file is then scanned on its audio.
  const videoScan = run(buildKeyframeArgs(path, 'v:0'));
  videoScan.catch(() => undefined);

  let headers: { stdout: string; stderr: string };
  try {
    headers = await run(buildProbeArgs(path));
  } catch (err) {
    // ffprobe ran and said it cannot open the file: a property of the file, not a retryable fault.
    if (err instanceof ProcessError && err.exitedWithError) {
      return parseProbe({ sizeBytes, ffprobe: null, errorLines: [...err.stderrTail], keyframeTimes: [], head });
    }
    throw err;
  }

  let json: unknown;
  try {
    json = JSON.parse(headers.stdout) as unknown;
  } catch {
    json = null;
  }
  const errorLines = errorLinesOf(headers.stderr);

  let keyframeTimes: number[] = [];
  let byteMap: SourceByteMap | undefined;
  const scanned = hasStream(json, 'video') ? 'v:0' : hasStream(json, 'audio') ? 'a:0' : undefined;
  if (scanned) {
    try {
      const packets = await (scanned === 'v:0' ? videoScan : run(buildKeyframeArgs(path, scanned)));
      if (scanned === 'v:0') {
        const index = parsePacketIndex(packets.stdout);
        keyframeTimes = index.keyframeTimes;
        byteMap = await sourceByteMap(path, index, startTimeOf(json));
      }
      errorLines.push(...errorLinesOf(packets.stderr));
    } catch (err) {
      if (!(err instanceof ProcessError && err.exitedWithError)) throw err;
      errorLines.push(...(err.stderrTail.length > 0 ? err.stderrTail : ['packet listing failed']));
    }
  }

  return parseProbe({ sizeBytes, ffprobe: json, errorLines, keyframeTimes, head, ...(byteMap ? { byteMap } : {}) });
}

function startTimeOf(json: unknown): number | undefined {
  const start = Number((json as { format?: { start_time?: string } } | null)?.format?.start_time);
  return Number.isFinite(start) ? start : undefined;
}

/**
 * Decodes the first video stream and counts its frames. Slow (a full decode); meant for
 * verification of produced outputs and for tests, not for probing uploads.
 */
export async function countVideoFrames(path: string, options: ProbeOptions = {}): Promise<number> {
  const { stdout } = await runProcess(options.ffprobePath ?? 'ffprobe', buildCountFramesArgs(resolve(path)), {
    timeoutMs: options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const frames = Number.parseInt(stdout.trim().split(/\s+/)[0] ?? '', 10);
  if (!Number.isFinite(frames)) throw new Error('ffprobe did not report a frame count');
  return frames;
}

function hasStream(json: unknown, type: 'video' | 'audio'): boolean {
  if (typeof json !== 'object' || json === null) return false;
  const streams = (json as { streams?: unknown }).streams;
  return Array.isArray(streams) && streams.some((s) => (s as { codec_type?: unknown } | null)?.codec_type === type);
}

async function readHead(path: string, bytes: number): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await file.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

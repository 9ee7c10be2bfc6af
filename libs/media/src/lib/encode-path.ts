import { ProcessError } from './process-runner';
import type { Accel } from './video-encoder.types';

/** Where one encode runs: which encoder, and whether the GPU also decodes the source. */
export interface EncodePath {
  readonly accel: Accel;
  readonly decode: 'hw' | 'sw';
}

export const pathLabel = (p: EncodePath): string => `${p.accel}/${p.decode}-decode`;

/**
 * The order a worker tries: the GPU for decode and encode, then software decode into the GPU
 * encoder, then the CPU for both. `usable` comes from detection at worker start (hw-detect);
 * the first hardware class found is the worker's class.
 */
export function encodePaths(usable: readonly Accel[]): EncodePath[] {
  const hw = usable.find((a) => a !== 'cpu');
  const gpu: EncodePath[] = hw ? [{ accel: hw, decode: 'hw' }, { accel: hw, decode: 'sw' }] : [];
  return [...gpu, { accel: 'cpu', decode: 'sw' }];
}

export interface PathTaken<T> {
  readonly result: T;
  readonly path: EncodePath;
  /** The paths that failed first, with how (recorded on the attempt). */
  readonly fellBackFrom: readonly { path: string; failure: string }[];
}

/**
 * Run `encode` on each path in turn until one succeeds. Only a process that failed on its
 * own (exit code, crash signal, spawn error) moves on to the next path: a timeout or an abort
 * (grant expired, shutdown) ends the attempt, and the last path's failure is the attempt's.
 */
export async function withEncoderFallback<T>(paths: readonly EncodePath[], encode: (path: EncodePath) => Promise<T>): Promise<PathTaken<T>> {
  const fellBackFrom: { path: string; failure: string }[] = [];
  for (const [i, path] of paths.entries()) {
    try {
      return { result: await encode(path), path, fellBackFrom };
    } catch (e) {
      const canFallBack = e instanceof ProcessError && (e.kind === 'exit' || e.kind === 'signal' || e.kind === 'spawn');
      if (!canFallBack || i === paths.length - 1) throw e;
      fellBackFrom.push({ path: pathLabel(path), failure: e.exitCode !== null ? `exit ${e.exitCode}` : e.kind });
    }
  }
  throw new RangeError('no encode path to try');
}

/** The attempt's encoder path as recorded: `nvenc/hw-decode`, or `cpu/sw-decode after nvenc/hw-decode (exit 1), ...`. */
export function describePathTaken(taken: Pick<PathTaken<unknown>, 'path' | 'fellBackFrom'>, encoder: string): string {
  const label = `${pathLabel(taken.path)}:${encoder}`;
  if (taken.fellBackFrom.length === 0) return label;
  return `${label} after ${taken.fellBackFrom.map((f) => `${f.path} (${f.failure})`).join(', ')}`;
}

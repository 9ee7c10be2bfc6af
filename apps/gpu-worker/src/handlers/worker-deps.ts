import type { WorkerClass } from '@airlock/domain';
import type { EncodePath } from '@airlock/media';
import type { NullEncoder } from '../null-encoder/null-encoder';
import { GrantClient } from '../grants/grant-client';
import { OutputUploader } from '../output/output-uploader';

/** What every worker handler needs; built once in main.ts. No storage credentials: grants only. */
export interface WorkerDeps {
  readonly grants: GrantClient;
  readonly uploader: OutputUploader;
  readonly workerId: string;
  readonly tempRoot: string;
  readonly ffmpegTimeoutMs: number;
  /** How often a running attempt heartbeats to the api. */
  readonly heartbeatMs: number;
  readonly encoderBuild: string;
  /** The encode paths this worker tries in order (hw -> sw decode -> sw encode), from detection at start. */
  readonly encodePaths: readonly EncodePath[];
  /** The class this worker declared (WORKER_CLASS) or detected; metrics label FFmpeg runs with it. */
  readonly workerClass?: WorkerClass;
  /** Set for WORKER_CLASS=null: outputs are written without FFmpeg (benchmarks, tests). */
  readonly nullEncoder?: NullEncoder;
}

import { ObjectStore } from '@airlock/storage';
import { OutputUploader } from '../output/output-uploader';

/** What every worker handler needs; built once in main.ts. */
export interface WorkerDeps {
  readonly store: ObjectStore;
  readonly uploader: OutputUploader;
  readonly workerId: string;
  readonly tempRoot: string;
  readonly ffmpegTimeoutMs: number;
  readonly encoderBuild: string;
}

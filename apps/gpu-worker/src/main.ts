import { hostname } from 'node:os';
import type { JWK } from 'jose';
import { loadEnv, workerEnvSchema } from '@airlock/config';
import { detectAccels, encoderBuild, pathLabel } from '@airlock/media';
import { QueueConnection } from '@airlock/queue';
import { failBoot, runQueueConsumer } from '@airlock/runtime';
import { defaultTempRoot } from './attempt/attempt-workspace';
import { SweepResult, WorkerTempDir } from './attempt/worker-temp-dir';
import { GrantClient } from './grants/grant-client';
import { AudioHandler } from './handlers/audio.handler';
import { FileHandler } from './handlers/file.handler';
import { ProbeHandler } from './handlers/probe.handler';
import { SegmentHandler } from './handlers/segment.handler';
import { WorkerDeps } from './handlers/worker-deps';
import { OutputUploader } from './output/output-uploader';
import { reportSealer } from './output/report-seal';
import { TamperingWorker } from './tampering/tampering-worker';
import { NullEncoder } from './null-encoder/null-encoder';
import { resolveWorker } from './worker-class';

async function main() {
  const config = loadEnv(workerEnvSchema);
  const tempRoot = config.WORKER_TMP_ROOT ?? defaultTempRoot();
  // This process's own directory under the shared root; crashed workers' leftovers go before it takes any work.
  const own = await WorkerTempDir.claim(tempRoot, { staleAfterMs: config.WORKER_ORPHAN_STALE_SEC * 1000 });
  const firstSweep = await own.sweep();

  const workerId = config.WORKER_ID ?? `${hostname()}-${process.pid}`;
  // The worker's class: declared, or the first hardware encoder that passes a smoke test.
  const worker = await resolveWorker(config, () => detectAccels());
  const signingJwk = config.WORKER_SIGNING_JWK as unknown as JWK;
  const tampering = config.WORKER_TAMPER && new TamperingWorker(config.WORKER_TAMPER, config.WORKER_TAMPER_RENDITION, { key: config.WORKER_TAMPER_FOREIGN_KEY, file: config.WORKER_TAMPER_FOREIGN_FILE });
  const seal = reportSealer(signingJwk, tampering || undefined);
  const deps: WorkerDeps = {
    grants: new GrantClient(config.API_URL, signingJwk, workerId, config.WORKER_KEY_TTL_SEC, config.QUARANTINE_RECHECK_SEC * 1000),
    uploader: tampering ? tampering.uploader : new OutputUploader(),
    workerId,
    tempRoot: own.dir,
    ffmpegTimeoutMs: config.FFMPEG_TIMEOUT_SEC * 1000,
    heartbeatMs: config.HEARTBEAT_SEC * 1000,
    encoderBuild: await encoderBuild(),
    encodePaths: worker.encodePaths,
    workerClass: worker.workerClass,
    ...(worker.workerClass === 'null' ? { nullEncoder: await NullEncoder.prepare({ probe: config.NULL_ENCODER_PROBE, delayMs: config.NULL_ENCODER_DELAY_MS }) } : {}),
  };
  const probe = new ProbeHandler(deps);
  const segment = new SegmentHandler(deps);
  const audio = new AudioHandler(deps);
  const file = new FileHandler(deps);

  const logger = await runQueueConsumer({
    service: 'gpu-worker',
    config,
    connection: new QueueConnection({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX }),
    queues: worker.lanes,
    handlers: {
      'media.probe': (d, ctx) => probe.handle(d, ctx),
      'segment.transcode': (d, ctx) => segment.handle(d, ctx).then(seal),
      'segment.transcode-group': (d, ctx) => segment.handleGroup(d, ctx).then(async ({ reports }) => ({ reports: await Promise.all(reports.map(seal)) })),
      'audio.transcode': (d, ctx) => audio.handle(d, ctx).then(seal),
      'file.transcode': (d, ctx) => file.handle(d, ctx).then(seal),
    },
    // After the running jobs ended: this worker's directory goes with it.
    drain: () => own.release(),
  });
  if (tampering) logger.warn({ mode: tampering.mode }, 'this worker TAMPERS with its outputs (verifier tests)');
  const reportSweep = (r: SweepResult | Error): void => {
    if (r instanceof Error) logger.error({ err: r.message, tempRoot }, 'temp root sweep failed');
    else if (r.wiped.length || r.failed.length) logger.warn({ tempRoot, wiped: r.wiped, failed: r.failed }, 'wiped temp directories of workers that are gone');
  };
  reportSweep(firstSweep);
  // Any live worker on the host wipes a killed one's plaintext within one period, not only the next to start.
  own.sweepEvery(config.WORKER_ORPHAN_SWEEP_SEC * 1000, reportSweep);
  logger.info({ workerId, workerClass: worker.workerClass, lanes: worker.lanes, tempRoot, tempDir: own.dir, encoderBuild: deps.encoderBuild, encodePaths: deps.encodePaths.map(pathLabel) }, 'worker ready');
}

main().catch((e) => failBoot('gpu-worker', e));

import { hostname } from 'node:os';
import type { JWK } from 'jose';
import { loadEnv, workerEnvSchema } from '@airlock/config';
import { detectAccels, encoderBuild, pathLabel } from '@airlock/media';
import { QueueConnection } from '@airlock/queue';
import { failBoot, runQueueConsumer } from '@airlock/runtime';
import { defaultTempRoot, wipeTempRoot } from './attempt/attempt-workspace';
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
  // A crashed worker's leftovers go before this one takes any work.
  const wiped = await wipeTempRoot(tempRoot);

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
    tempRoot,
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
    drain: () => wipeTempRoot(tempRoot).then(() => undefined),
  });
  if (tampering) logger.warn({ mode: tampering.mode }, 'this worker TAMPERS with its outputs (verifier tests)');
  if (wiped > 0) logger.warn({ tempRoot, wiped }, 'wiped leftovers of a previous worker');
  logger.info({ workerId, workerClass: worker.workerClass, lanes: worker.lanes, tempRoot, encoderBuild: deps.encoderBuild, encodePaths: deps.encodePaths.map(pathLabel) }, 'worker ready');
}

main().catch((e) => failBoot('gpu-worker', e));

import { hostname } from 'node:os';
import type { JWK } from 'jose';
import { loadEnv, workerEnvSchema } from '@airlock/config';
import { detectAccels, encoderBuild, encodePaths, pathLabel } from '@airlock/media';
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

async function main() {
  const config = loadEnv(workerEnvSchema);
  const tempRoot = config.WORKER_TMP_ROOT ?? defaultTempRoot();
  // A crashed worker's leftovers go before this one takes any work.
  const wiped = await wipeTempRoot(tempRoot);

  const workerId = config.WORKER_ID ?? `${hostname()}-${process.pid}`;
  const deps: WorkerDeps = {
    grants: new GrantClient(config.API_URL, config.WORKER_SIGNING_JWK as unknown as JWK, workerId, config.WORKER_KEY_TTL_SEC),
    uploader: new OutputUploader(),
    workerId,
    tempRoot,
    ffmpegTimeoutMs: config.FFMPEG_TIMEOUT_SEC * 1000,
    heartbeatMs: config.HEARTBEAT_SEC * 1000,
    encoderBuild: await encoderBuild(),
    // The worker's class: declared, or the first hardware encoder that passes a smoke test.
    encodePaths: encodePaths(config.WORKER_ACCEL === 'auto' ? await detectAccels() : [config.WORKER_ACCEL, 'cpu']),
  };
  const probe = new ProbeHandler(deps);
  const segment = new SegmentHandler(deps);
  const audio = new AudioHandler(deps);
  const file = new FileHandler(deps);

  const logger = await runQueueConsumer({
    service: 'gpu-worker',
    config,
    connection: new QueueConnection({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX }),
    queues: config.WORKER_LANES,
    handlers: {
      'media.probe': (d, ctx) => probe.handle(d, ctx),
      'segment.transcode': (d, ctx) => segment.handle(d, ctx),
      'audio.transcode': (d, ctx) => audio.handle(d, ctx),
      'file.transcode': (d, ctx) => file.handle(d, ctx),
    },
    drain: () => wipeTempRoot(tempRoot).then(() => undefined),
  });
  if (wiped > 0) logger.warn({ tempRoot, wiped }, 'wiped leftovers of a previous worker');
  logger.info({ workerId, lanes: config.WORKER_LANES, tempRoot, encoderBuild: deps.encoderBuild, encodePaths: deps.encodePaths.map(pathLabel) }, 'worker ready');
}

main().catch((e) => failBoot('gpu-worker', e));

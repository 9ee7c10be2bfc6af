import { hostname } from 'node:os';
import { Module } from '@nestjs/common';
import { loadEnv, workerEnvSchema } from '@airlock/config';
import { encoderBuild } from '@airlock/media';
import { QueueConnection, WorkerHost } from '@airlock/queue';
import { bootstrapService, failBoot } from '@airlock/runtime';
import { createLogger } from '@airlock/telemetry';
import { defaultTempRoot, wipeTempRoot } from './attempt/attempt-workspace';
import type { JWK } from 'jose';
import { GrantClient } from './grants/grant-client';
import { AudioHandler } from './handlers/audio.handler';
import { ProbeHandler } from './handlers/probe.handler';
import { SegmentHandler } from './handlers/segment.handler';
import { WorkerDeps } from './handlers/worker-deps';
import { OutputUploader } from './output/output-uploader';

@Module({})
class WorkerModule {}

async function main() {
  const config = loadEnv(workerEnvSchema);
  const logger = createLogger('gpu-worker', config.LOG_LEVEL);
  const tempRoot = config.WORKER_TMP_ROOT ?? defaultTempRoot();
  const wiped = await wipeTempRoot(tempRoot);
  if (wiped > 0) logger.warn({ tempRoot, wiped }, 'wiped leftovers of a previous worker');

  const workerId = config.WORKER_ID ?? `${hostname()}-${process.pid}`;
  const deps: WorkerDeps = {
    grants: new GrantClient(config.API_URL, config.WORKER_SIGNING_JWK as unknown as JWK, workerId, config.WORKER_KEY_TTL_SEC),
    uploader: new OutputUploader(),
    workerId,
    tempRoot,
    ffmpegTimeoutMs: config.FFMPEG_TIMEOUT_SEC * 1000,
    encoderBuild: await encoderBuild(),
  };
  const queues = new QueueConnection({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const host = new WorkerHost(queues, logger);
  const probe = new ProbeHandler(deps);
  const segment = new SegmentHandler(deps);
  const audio = new AudioHandler(deps);

  await bootstrapService({
    service: 'gpu-worker',
    module: WorkerModule,
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    logLevel: config.LOG_LEVEL,
    checks: async () => ({ redis: await queues.ping() }),
    drain: async () => {
      await host.close();
      await queues.close();
      await wipeTempRoot(tempRoot);
    },
  });

  host.start(
    'gpu-worker',
    config.WORKER_LANES,
    {
      'media.probe': (d, ctx) => probe.handle(d, ctx),
      'segment.transcode': (d, ctx) => segment.handle(d, ctx),
      'audio.transcode': (d, ctx) => audio.handle(d, ctx),
    },
    { concurrency: config.CONCURRENCY, lockDurationMs: config.QUEUE_LOCK_MS },
  );
  logger.info({ workerId: deps.workerId, lanes: config.WORKER_LANES, tempRoot, encoderBuild: deps.encoderBuild }, 'worker ready');
}

main().catch((e) => failBoot('gpu-worker', e));

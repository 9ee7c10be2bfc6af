import { PrismaClient } from '@airlock/db';
import { FlowInput, PlannedTask } from './media-flow.builder';
import { policyOf } from './job-policy';
import { MediaPlan } from './media-plan';

/**
 * A planned job's flow input from Postgres alone, at its current generation: tasks already
 * succeeded are marked done (their record steps answer with the stored report).
 */
export async function loadFlowInput(db: PrismaClient, jobId: string, taskAttempts: number): Promise<{ input: FlowInput; previewPublished: boolean; earlyPublished: boolean }> {
  const job = await db.job.findUniqueOrThrow({ where: { id: jobId }, include: { media: true, tasks: true } });
  const tasks: PlannedTask[] = job.tasks
    .filter((t) => t.kind !== 'probe')
    .map((t) => ({ id: t.id, kind: t.kind as PlannedTask['kind'], segmentIndex: t.segmentIndex, rendition: t.rendition, role: t.role, done: t.state === 'succeeded' }));
  const input: FlowInput = {
    mediaId: job.mediaId,
    jobId,
    sourceKey: job.media.sourceKey,
    durationSec: (job.probe as { durationSec: number }).durationSec,
    plan: job.plan as unknown as MediaPlan,
    tasks,
    taskAttempts,
    keyTtlSec: policyOf(job).worker_key_ttl_seconds,
    outputKeyId: job.media.outputKeyId,
    generation: job.generation,
  };
  return { input, previewPublished: job.media.previewHlsKey !== null, earlyPublished: job.media.earlyHlsKey !== null };
}

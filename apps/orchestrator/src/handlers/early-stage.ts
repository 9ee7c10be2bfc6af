import { PrismaClient } from '@airlock/db';
import { QueueConnection } from '@airlock/queue';
import { loadFlowInput } from '../planning/flow-input';
import { buildEarlyFlow } from '../planning/media-flow.builder';

/** Queues a job's early stage (buildEarlyFlow) once its tasks are all done. */
export class EarlyStage {
  constructor(
    private readonly db: PrismaClient,
    private readonly queues: QueueConnection,
  ) {}

  async queue(jobId: string): Promise<void> {
    // Its records have no work to run: the task attempts setting plays no part.
    const { input } = await loadFlowInput(this.db, jobId, 1);
    const flow = buildEarlyFlow(input);
    if (flow) await this.queues.addFlow(flow);
  }
}

import type { FlowJob } from 'bullmq';
import { JobName, parsePayload, PayloadOf } from '@airlock/contracts';
import { jobOptions } from './job-options';
import { QueueName } from './queue-names';

/**
 * What happens to the parent when this child finally fails. Always chosen explicitly:
 * - 'fail-parent': the parent fails too (the stage cannot run without this child).
 * - 'report-to-parent': the parent runs anyway and reads the failure (the orchestrator must
 *   learn every outcome to record it).
 */
export type FailureEdge = 'fail-parent' | 'report-to-parent';

export interface FlowNode<N extends JobName = JobName> {
  readonly name: N;
  readonly queue: QueueName;
  readonly jobId: string;
  readonly data: PayloadOf<N>;
  readonly attempts?: number;
  readonly priority?: number;
  readonly onFailure?: FailureEdge;
  readonly children?: readonly FlowNode[];
}

/** Plain data in, BullMQ's flow shape out; payloads are validated before anything is enqueued. */
export function toFlowJob(node: FlowNode): FlowJob {
  parsePayload(node.name, node.data);
  const opts = jobOptions(node.name, { jobId: node.jobId, attempts: node.attempts, priority: node.priority });
  if (node.onFailure === 'fail-parent') opts.failParentOnFailure = true;
  if (node.onFailure === 'report-to-parent') opts.ignoreDependencyOnFailure = true;
  return {
    name: node.name,
    queueName: node.queue,
    data: node.data,
    opts,
    children: node.children?.map(toFlowJob),
  };
}

export function countNodes(node: FlowNode): number {
  return 1 + (node.children ?? []).reduce((n, c) => n + countNodes(c), 0);
}

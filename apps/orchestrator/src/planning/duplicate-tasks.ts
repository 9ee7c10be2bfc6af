import { isPreviewRendition, sampledForDuplicate } from '@airlock/domain';
import { PlannedTask } from './media-flow.builder';

/**
 * Sampled duplicate execution: for the policy's fraction of the ladder's segment x rendition
 * tasks, one more task in the same slot (role `duplicate`) that another worker must do; the
 * verifier compares the two outputs. It runs in the same flow and counts like any task.
 */
export function withDuplicates(tasks: readonly PlannedTask[], jobId: string, fraction: number, newId: () => string): PlannedTask[] {
  const duplicates = tasks
    .filter((t) => t.kind === 'video' && t.role !== 'duplicate' && !isPreviewRendition(t.rendition) && sampledForDuplicate(jobId, t.segmentIndex, t.rendition, fraction))
    .map((t) => ({ id: newId(), kind: t.kind, segmentIndex: t.segmentIndex, rendition: t.rendition, role: 'duplicate' as const }));
  return [...tasks, ...duplicates];
}

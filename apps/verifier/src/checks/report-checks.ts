import { TaskReport } from '@airlock/contracts';
import { AUDIO_RENDITION } from '@airlock/domain';
import { CheckFailure } from './check-failure';

/** What Postgres says about the task a report claims to have done, and the attempt that did it. */
export interface TaskFacts {
  readonly id: string;
  readonly jobId: string;
  readonly kind: string;
  readonly rendition: string;
  readonly segmentIndex: number;
  readonly winningAttemptId: string | null;
}

export interface AttemptFacts {
  readonly id: string;
  readonly taskId: string;
  readonly workerId: string;
  readonly state: string;
}

export interface ReportContext {
  readonly jobId: string;
  /** sha256 of the encrypted source as the sender uploaded it. */
  readonly sourceSha256: string;
  readonly task?: TaskFacts;
  readonly attempt?: AttemptFacts;
  /** The signature verdict (checked against the fleet's public keys by the caller). */
  readonly signature: 'valid' | 'unsigned' | 'invalid';
}

/**
 * One report against what the system itself knows: signed by the fleet key, from the attempt
 * the record step counted for the task (on the worker the grant went to), about the source the
 * sender uploaded, with a cleanup receipt, and with outputs inside the task's own slot
 * (its rendition, its segment). Every failure names the report's attempt.
 */
export function checkReport(report: TaskReport, ctx: ReportContext): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const fail = (reason: string, detail: string) => failures.push({ reason, detail, attemptId: report.attemptId });
  const who = `attempt ${report.attemptId} of task ${report.taskId}`;

  if (ctx.signature === 'unsigned') fail('report_unsigned', `${who} sent no signature`);
  if (ctx.signature === 'invalid') fail('report_signature_invalid', `${who}: the signature does not cover this report`);
  if (!report.cleanup) fail('cleanup_receipt_missing', `${who} sent no cleanup receipt`);
  else if (!report.cleanup.tempDirGone) fail('cleanup_incomplete', `${who} left its temp dir`);
  if (report.inputSha256 !== ctx.sourceSha256) fail('input_hash_mismatch', `${who} consumed ${report.inputSha256 ?? 'an unnamed input'}, not the uploaded source`);

  const { task, attempt } = ctx;
  if (!task || task.jobId !== ctx.jobId) {
    fail('task_unknown', `${who}: no such task in this job`);
    return failures;
  }
  if (!attempt || attempt.taskId !== task.id) fail('attempt_unknown', `${who}: no such attempt of this task`);
  // The record step's choice of winner is the verdict on liveness (a winner the watchdog had
  // already given up on may be marked stale, yet its work was counted, once).
  else if (task.winningAttemptId !== attempt.id || attempt.state === 'rejected') fail('attempt_not_live', `${who} (${attempt.state}) is not the task's winner (${task.winningAttemptId ?? 'none'})`);
  else if (attempt.workerId !== report.workerId) fail('worker_mismatch', `${who} claims worker ${report.workerId}, the grant went to ${attempt.workerId}`);

  for (const o of report.outputs) {
    if (!insideTask(o, task)) fail('output_outside_task', `${who} reported ${o.rendition} ${o.kind} ${o.segmentIndex}, outside its task (${task.rendition} ${task.segmentIndex})`);
  }
  return failures;
}

/** The same slots the grant exchange hands upload URLs for. */
function insideTask(o: TaskReport['outputs'][number], task: TaskFacts): boolean {
  switch (task.kind) {
    case 'audio':
      return o.rendition === AUDIO_RENDITION && o.kind !== 'file';
    case 'file':
      return o.kind === 'file' && o.rendition === task.rendition;
    default:
      return o.rendition === task.rendition && (o.kind === 'init' || (o.kind === 'media' && o.segmentIndex === task.segmentIndex));
  }
}

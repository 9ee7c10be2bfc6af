import { CheckFailure } from './check-failure';

/** One worker's output for one slot (segment x rendition): the sha256 of its media segment. */
export interface Vote {
  readonly workerId: string;
  readonly attemptId: string;
  readonly sha256: string;
  /** The attempt is the current winner of its task (its output is up for delivery now). */
  readonly current: boolean;
}

export interface SlotVerdict {
  /** Failures blamed on current attempts: their tasks run again. */
  readonly failures: CheckFailure[];
  /** Workers that disagreed with the majority (current or earlier attempts): quarantined. */
  readonly minority: Vote[];
}

/**
 * Sampled duplicate execution, one slot: a primary and a duplicate task did the same encode on
 * different workers, and encodes are deterministic for an encoder build, so the encrypted
 * outputs (deterministic too: the media's key, a constant IV) must be identical. Every output
 * any worker produced for the slot (earlier refused attempts included) is a vote; a hash that
 * at least two distinct workers produced, more than any other, is the majority. Workers that
 * disagree with it are quarantined and their current outputs redone. Without a majority (one
 * against one) the duplicate is redone by a third worker, with no one blamed yet.
 */
export function judgeSlot(slot: string, votes: readonly Vote[], duplicateAttemptId: string): SlotVerdict {
  const current = votes.filter((v) => v.current);
  const workersByHash = new Map<string, Set<string>>();
  for (const v of votes) workersByHash.set(v.sha256, (workersByHash.get(v.sha256) ?? new Set()).add(v.workerId));
  const ranked = [...workersByHash].sort((a, b) => b[1].size - a[1].size);
  const [top, second] = ranked;
  const majority = top && top[1].size >= 2 && (!second || top[1].size > second[1].size) ? top[0] : undefined;

  if (majority) {
    const minority = votes.filter((v) => v.sha256 !== majority && !workersByHash.get(majority)?.has(v.workerId));
    const failures = current
      .filter((v) => v.sha256 !== majority)
      .map((v) => ({ reason: 'duplicate_minority', detail: `${slot}: ${v.sha256.slice(0, 12)} differs from the majority's ${majority.slice(0, 12)}`, attemptId: v.attemptId }));
    return { failures, minority };
  }
  if (new Set(current.map((v) => v.sha256)).size <= 1) return { failures: [], minority: [] };
  return {
    failures: [{ reason: 'duplicate_mismatch', detail: `${slot}: the duplicate differs from the primary; a third worker decides`, attemptId: duplicateAttemptId, quarantine: false }],
    minority: [],
  };
}

/**
 * Whether a task is sampled for duplicate execution: deterministic in the job and the task's
 * slot (a rebuilt flow samples the same tasks), spread evenly over [0, 1) against `fraction`.
 */
export function sampledForDuplicate(jobId: string, segmentIndex: number, rendition: string, fraction: number): boolean {
  if (fraction <= 0) return false;
  if (fraction >= 1) return true;
  return fnv1a(`${jobId}/${segmentIndex}/${rendition}`) / 0x1_0000_0000 < fraction;
}

/** 32-bit FNV-1a: a cheap, well-spread hash with no platform dependency. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

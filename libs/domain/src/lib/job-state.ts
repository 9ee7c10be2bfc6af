/** A job is one processing run of one media. */
export const JOB_STATES = ['probing', 'transcoding', 'packaging', 'published', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TASK_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TASK_KINDS = ['probe', 'video', 'audio'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Rendition label used by tasks that are not a video rung (unique key job+segment+rendition). */
export const AUDIO_RENDITION = 'audio';
export const PROBE_RENDITION = 'probe';

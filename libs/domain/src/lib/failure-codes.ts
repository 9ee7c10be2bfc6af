/**
 * Reason codes for terminal and retryable failures. Readable by support staff,
 * never derived from content.
 */
export const TERMINAL_REASONS = {
  not_media: 'The upload is not a video or audio file.',
  empty_upload: 'The upload is empty.',
  truncated_media: 'The upload is truncated or corrupt and cannot be decoded.',
  unsupported_codec: 'The video uses a codec the pipeline does not support.',
  source_mismatch: 'The uploaded object does not match the declared size or hash.',
  too_long: 'The video is longer than the tenant allows.',
  too_large: 'The video is larger than the tenant allows.',
  too_many_pixels: 'The video dimensions exceed the tenant limit.',
  absurd_dimensions: 'The video header declares a picture far larger than any camera makes; it is not decoded.',
  verification_failed: 'An output failed verification.',
  source_undecryptable: 'The upload cannot be decrypted with the key the sender gave.',
  source_chunk_size_invalid: 'The upload declares an encryption chunk size larger than workers open (at most 16 MiB).',
} as const;
export type TerminalReason = keyof typeof TERMINAL_REASONS;

/**
 * A task's final failure, by cause: broken input (a code above, at the head of the reason as
 * `code: detail`) fails the media for good; anything else may pass on a re-drive.
 */
export function classifyTaskFailure(reason: string): { code: string; terminal: boolean } {
  const code = /^([a-z_]+):/.exec(reason)?.[1];
  if (code && code in TERMINAL_REASONS) return { code, terminal: true };
  return { code: 'task_failed', terminal: false };
}

export const RETRYABLE_REASONS = {
  task_failed: 'A processing task failed after all retries.',
  stage_failed: 'A pipeline stage failed after all retries.',
} as const;
export type RetryableReason = keyof typeof RETRYABLE_REASONS;

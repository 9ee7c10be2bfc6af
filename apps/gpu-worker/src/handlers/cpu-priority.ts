import { isPreviewRendition } from '@airlock/domain';

/** The nice value of background encodes: they take the CPU the preview leaves. */
export const BACKGROUND_NICENESS = 10;

/**
 * The preview is what a recipient is waiting for: its encodes run at the normal CPU priority,
 * every other encode (the ladder, audio, chat files) a notch below, so on a busy worker the
 * preview of a new media is not slowed by the ladders already running.
 */
export function nicenessFor(rendition: string): number {
  return isPreviewRendition(rendition) ? 0 : BACKGROUND_NICENESS;
}

import { OutputFact } from '@airlock/contracts';
import { AUDIO_PROFILE, AUDIO_RENDITION, findProfile, isPreviewRendition, PREVIEW_PROFILE } from '@airlock/domain';
import { CheckFailure } from './check-failure';

/** A segment's container overhead (moof, senc, mdat header) on top of its rung's bitrate. */
const SEGMENT_SLACK_BYTES = 16 * 1024;

function targetKbps(rendition: string): number | undefined {
  if (rendition === AUDIO_RENDITION) return AUDIO_PROFILE.bitrateKbps;
  if (isPreviewRendition(rendition)) return PREVIEW_PROFILE.bitrateKbps;
  return findProfile(rendition)?.bitrateKbps;
}

/**
 * Bitrate sanity: a segment may not be far larger than its rung's bitrate allows for its
 * duration (rate control overshoots a little on short chunks; `factor` is generous), and a
 * segment of media time has bytes. Sizes and durations are the verified ones.
 */
export function checkBitrates(outputs: readonly OutputFact[], factor: number, ownerOf: (key: string) => string | undefined): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const o of outputs) {
    const kbps = targetKbps(o.rendition);
    if (o.kind !== 'media' || kbps === undefined || o.duration === 0) continue;
    const sec = o.duration / o.timescale;
    const ceiling = (kbps * 1000 * factor * sec) / 8 + SEGMENT_SLACK_BYTES;
    if (o.sizeBytes > ceiling) {
      const attemptId = ownerOf(o.key);
      failures.push({
        reason: 'bitrate_out_of_bounds',
        detail: `${o.rendition} segment ${o.segmentIndex}: ${o.sizeBytes} bytes for ${sec.toFixed(3)} s, at most ${Math.round(ceiling)} at ${kbps} kb/s`,
        key: o.key,
        ...(attemptId ? { attemptId } : {}),
      });
    }
  }
  return failures;
}

import { JobName, PayloadOf } from '@airlock/contracts';
import { appendEvent, PrismaClient } from '@airlock/db';
import { JobContext } from '@airlock/queue';
import { pointMediaAtStage, sideStageManifest } from './side-stage';

/**
 * The early stage's last step: point at the verified manifests of the lowest rung and audio,
 * playable for the whole length while the higher rungs still encode. A failed or refused early
 * stage is recorded and left at that: the ladder's verify checks the same outputs again, and
 * refuses them there (their tasks run again on another worker).
 */
export class EarlyHandler {
  constructor(private readonly db: PrismaClient) {}

  async handle({ mediaId, jobId, renditions }: PayloadOf<typeof JobName.EarlyPublish>, ctx: JobContext): Promise<{ outcome: string }> {
    const stage = await sideStageManifest(this.db, mediaId, ctx);
    if ('late' in stage) return { outcome: 'not_published' };
    if ('reason' in stage) {
      await appendEvent(this.db, { mediaId, jobId, type: 'early_failed', reason: stage.reason });
      return { outcome: 'early_failed' };
    }
    const { hlsKey, dashKey } = stage.verified;
    const published = await pointMediaAtStage(this.db, { mediaId, jobId }, stage.verified, { earlyHlsKey: hlsKey, earlyDashKey: dashKey, earlyRenditions: renditions }, (tx) =>
      appendEvent(tx, { mediaId, jobId, type: 'early_published', reason: 'early_published', data: { renditions } }),
    );
    return { outcome: published ? 'early_published' : 'not_published' };
  }
}

import { JobName, PayloadOf } from '@airlock/contracts';
import { appendEvent, PrismaClient, transitionMediaIn } from '@airlock/db';
import { JobContext } from '@airlock/queue';
import { pointMediaAtStage, sideStageManifest } from './side-stage';

/**
 * The preview sub-flow's last step: point at the verified preview manifests and, while the
 * ladder is still running, move the media to `preview_ready`. A failed preview is recorded and
 * left at that: the ladder goes on, and the media is judged by the ladder alone.
 */
export class PreviewHandler {
  constructor(private readonly db: PrismaClient) {}

  async handle({ mediaId, jobId }: PayloadOf<typeof JobName.PreviewPublish>, ctx: JobContext): Promise<{ outcome: string }> {
    const stage = await sideStageManifest(this.db, mediaId, ctx);
    if ('late' in stage) return { outcome: 'not_published' };
    if ('reason' in stage) {
      await appendEvent(this.db, { mediaId, jobId, type: 'preview_failed', reason: stage.reason });
      return { outcome: 'preview_failed' };
    }
    const { hlsKey, dashKey } = stage.verified;
    const published = await pointMediaAtStage(this.db, { mediaId, jobId }, stage.verified, { previewHlsKey: hlsKey, previewDashKey: dashKey }, async (tx) => {
      // Only from `processing`: a ladder that finished first keeps its state.
      const moved = await transitionMediaIn(tx, { mediaId, jobId, to: 'preview_ready', reason: 'preview_published' });
      if (!moved) await appendEvent(tx, { mediaId, jobId, type: 'preview_published', reason: 'preview_published' });
    });
    return { outcome: published ? 'preview_ready' : 'not_published' };
  }
}

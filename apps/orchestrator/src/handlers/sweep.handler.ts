import { appendEvent, PrismaClient, transitionMedia } from '@airlock/db';
import { storageKeys } from '@airlock/domain';
import { ObjectStore } from '@airlock/storage';

export interface SweepResult {
  readonly expired: number;
  readonly expiredUploads: number;
  readonly deletedMediaObjects: number;
  readonly failedSources: number;
  readonly orphanSegments: number;
}

export interface SweepSettings {
  /** Objects can still arrive through presigned URLs handed out before a media ended: look back this far. */
  readonly lookbackMs: number;
  readonly batch: number;
  /** A media never uploaded expires this long after its upload URL did (a PUT started just before the URL's end may still be arriving). */
  readonly uploadGraceMs: number;
}

/** The longest a SigV4 presigned URL can live: the bound for media created before their upload deadline was stored. */
const MAX_PRESIGNED_URL_MS = 7 * 24 * 3600 * 1000;

/**
 * The lifecycle sweeper: storage must not depend on bucket lifecycle rules (s3rver has none),
 * so the orchestrator deletes what no media needs any more:
 * - a ready media past its retention window: it becomes `expired` and every object goes;
 * - a media never uploaded (still `created`) a grace period after its upload URL expired: it
 *   becomes `expired` (the sender did not delete it; recipients see "Video expired") and a
 *   partial or late source goes, so it holds no quota and no bytes;
 * - every object of a deleted or expired media (late writers included);
 * - the source of a media that failed for good;
 * - segment objects of a ready media that no output pointer references (a losing attempt's bytes).
 */
export class SweepHandler {
  constructor(
    private readonly db: PrismaClient,
    private readonly store: ObjectStore,
    private readonly settings: SweepSettings,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async handle(): Promise<SweepResult> {
    const since = new Date(this.clock().getTime() - this.settings.lookbackMs);
    const recent = (state: 'deleted' | 'expired' | 'failed_terminal' | 'ready') =>
      this.db.media.findMany({ where: { state, updatedAt: { gte: since } }, select: { id: true, sourceKey: true }, take: this.settings.batch, orderBy: { updatedAt: 'desc' } });

    let expired = 0;
    const due = await this.db.media.findMany({ where: { state: 'ready', expiresAt: { lte: this.clock() } }, select: { id: true }, take: this.settings.batch });
    for (const m of due) {
      if (!(await transitionMedia(this.db, { mediaId: m.id, to: 'expired', reason: 'retention_elapsed' }))) continue;
      let n = 0;
      for (const prefix of storageKeys.mediaPrefixes(m.id)) n += await this.store.deletePrefix(prefix);
      await appendEvent(this.db, { mediaId: m.id, type: 'objects_purged', reason: 'retention_elapsed', data: { objects: n } });
      expired++;
    }

    const expiredUploads = await this.expireUploadsNeverMade();

    let deletedMediaObjects = 0;
    for (const m of [...(await recent('deleted')), ...(await recent('expired'))]) {
      let n = 0;
      for (const prefix of storageKeys.mediaPrefixes(m.id)) n += await this.store.deletePrefix(prefix);
      if (n > 0) await appendEvent(this.db, { mediaId: m.id, type: 'objects_purged', reason: 'sweep_deleted_media', data: { objects: n } });
      deletedMediaObjects += n;
    }

    let failedSources = 0;
    for (const m of await recent('failed_terminal')) {
      if (!(await this.store.stat(m.sourceKey))) continue;
      await this.store.delete([m.sourceKey]);
      await appendEvent(this.db, { mediaId: m.id, type: 'source_deleted', reason: 'sweep_failed_terminal' });
      failedSources++;
    }

    let orphanSegments = 0;
    for (const m of await recent('ready')) {
      const referenced = new Set((await this.db.output.findMany({ where: { mediaId: m.id }, select: { key: true } })).map((o) => o.key));
      const orphans = (await this.store.list(storageKeys.segmentPrefix(m.id))).map((o) => o.key).filter((k) => !referenced.has(k));
      if (orphans.length === 0) continue;
      await this.store.delete(orphans);
      await appendEvent(this.db, { mediaId: m.id, type: 'objects_purged', reason: 'sweep_unreferenced_segments', data: { objects: orphans.length } });
      orphanSegments += orphans.length;
    }
    return { expired, expiredUploads, deletedMediaObjects, failedSources, orphanSegments };
  }

  /** `created` media whose upload deadline (expiresAt, set at create) is more than the grace past. */
  private async expireUploadsNeverMade(): Promise<number> {
    const now = this.clock().getTime();
    const due = await this.db.media.findMany({
      where: {
        state: 'created',
        OR: [
          { expiresAt: { lte: new Date(now - this.settings.uploadGraceMs) } },
          { expiresAt: null, createdAt: { lte: new Date(now - MAX_PRESIGNED_URL_MS - this.settings.uploadGraceMs) } },
        ],
      },
      select: { id: true },
      take: this.settings.batch,
    });
    let expired = 0;
    for (const m of due) {
      if (!(await transitionMedia(this.db, { mediaId: m.id, to: 'expired', reason: 'upload_window_elapsed' }))) continue;
      let n = 0;
      for (const prefix of storageKeys.mediaPrefixes(m.id)) n += await this.store.deletePrefix(prefix);
      await appendEvent(this.db, { mediaId: m.id, type: 'objects_purged', reason: 'upload_window_elapsed', data: { objects: n } });
      expired++;
    }
    return expired;
  }
}

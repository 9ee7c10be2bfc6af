import { randomUUID } from 'node:crypto';
import { MediaState } from '@airlock/domain';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { SweepHandler } from './sweep.handler';

/** The sweeper on real Postgres and s3rver: storage lifecycle without bucket rules. */
describe('SweepHandler', () => {
  const GRACE_MS = 3_600_000;
  let env: IntegrationEnv;
  let sweep: SweepHandler;

  beforeAll(async () => {
    env = await startIntegrationEnv('sweep');
    await env.store.ensureBucket();
    await env.db.tenant.create({ data: { id: 't1', name: 't1', apiKeyHash: randomUUID() } });
    sweep = new SweepHandler(env.db, env.store, { lookbackMs: 3_600_000, batch: 50, uploadGraceMs: GRACE_MS });
  });
  afterAll(() => env?.close());

  async function media(state: MediaState) {
    const { id, sourceKey } = await env.db.media.create({ data: mediaRow('t1', state) });
    await env.store.putBuffer(sourceKey, 'ciphertext');
    return { id, sourceKey };
  }

  it('purges late objects of deleted media, sources of failed media and unreferenced segments of ready media, nothing else', async () => {
    const deleted = await media('deleted');
    await env.store.putBuffer(`seg/${deleted.id}/240p/0-${'b'.repeat(64)}.m4s`, 'late upload');

    const failed = await media('failed_terminal');

    const ready = await media('ready');
    const kept = `seg/${ready.id}/240p/0-${'c'.repeat(64)}.m4s`;
    const orphan = `seg/${ready.id}/240p/0-${'d'.repeat(64)}.m4s`;
    await env.store.putBuffer(kept, 'verified');
    await env.store.putBuffer(orphan, 'a losing attempt');
    await env.db.output.create({ data: { mediaId: ready.id, kind: 'media', rendition: '240p', segmentIndex: 0, key: kept, sha256: 'c'.repeat(64), sizeBytes: 8n, verifiedAt: new Date() } });

    const processing = await media('processing');
    await env.store.putBuffer(`seg/${processing.id}/240p/0-${'e'.repeat(64)}.m4s`, 'in flight');

    expect(await sweep.handle()).toEqual({ expired: 0, expiredUploads: 0, deletedMediaObjects: 2, failedSources: 1, orphanSegments: 1 });
    expect(await env.store.list(`seg/${deleted.id}/`)).toEqual([]);
    expect(await env.store.stat(deleted.sourceKey)).toBeUndefined();
    expect(await env.store.stat(failed.sourceKey)).toBeUndefined();
    expect((await env.store.list(`seg/${ready.id}/`)).map((o) => o.key)).toEqual([kept]);
    expect(await env.store.stat(ready.sourceKey)).toBeDefined();
    expect(await env.store.list(`seg/${processing.id}/`)).toHaveLength(1);

    expect(await sweep.handle()).toEqual({ expired: 0, expiredUploads: 0, deletedMediaObjects: 0, failedSources: 0, orphanSegments: 0 });
    expect(await env.db.event.count({ where: { mediaId: ready.id, reason: 'sweep_unreferenced_segments' } })).toBe(1);
  });

  it('expires a ready media past its retention window: state expired, every object purged, and once only', async () => {
    const due = await media('ready');
    await env.db.media.update({ where: { id: due.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await env.store.putBuffer(`seg/${due.id}/240p/0-${'f'.repeat(64)}.m4s`, 'delivered');
    await env.store.putBuffer(`man/${due.id}/v1/master.m3u8`, '#EXTM3U');
    const fresh = await media('ready');
    await env.db.media.update({ where: { id: fresh.id }, data: { expiresAt: new Date(Date.now() + 3_600_000) } });

    const result = await sweep.handle();
    expect(result.expired).toBe(1);
    expect((await env.db.media.findUniqueOrThrow({ where: { id: due.id } })).state).toBe('expired');
    expect(await env.store.list(`seg/${due.id}/`)).toEqual([]);
    expect(await env.store.list(`man/${due.id}/`)).toEqual([]);
    expect(await env.store.stat(due.sourceKey)).toBeUndefined();
    expect((await env.db.media.findUniqueOrThrow({ where: { id: fresh.id } })).state).toBe('ready');
    expect(await env.store.stat(fresh.sourceKey)).toBeDefined();
    expect((await sweep.handle()).expired).toBe(0);
    expect(await env.db.event.count({ where: { mediaId: due.id, reason: 'retention_elapsed', type: 'objects_purged' } })).toBe(1);
  });

  it('expires a media never uploaded a grace period after its upload URL expired, purging a partial source; not before, and not an uploaded one', async () => {
    const hour = 3_600_000;
    const abandoned = await media('created');
    await env.db.media.update({ where: { id: abandoned.id }, data: { expiresAt: new Date(Date.now() - GRACE_MS - 1000) } });
    const inGrace = await media('created');
    await env.db.media.update({ where: { id: inGrace.id }, data: { expiresAt: new Date(Date.now() - GRACE_MS + 60_000) } });
    // Created before the deadline was stored: bounded by the longest a presigned URL can live (7 days).
    const legacy = await media('created');
    await env.db.media.update({ where: { id: legacy.id }, data: { expiresAt: null, createdAt: new Date(Date.now() - 7 * 24 * hour - GRACE_MS - 1000) } });
    const legacyRecent = await media('created');
    await env.db.media.update({ where: { id: legacyRecent.id }, data: { expiresAt: null, createdAt: new Date(Date.now() - 2 * hour) } });
    const uploaded = await media('uploaded');
    await env.db.media.update({ where: { id: uploaded.id }, data: { expiresAt: new Date(Date.now() - GRACE_MS - 1000) } });

    const result = await sweep.handle();
    expect(result.expiredUploads).toBe(2);
    const stateOf = async (id: string) => (await env.db.media.findUniqueOrThrow({ where: { id } })).state;
    expect(await stateOf(abandoned.id)).toBe('expired');
    expect(await stateOf(legacy.id)).toBe('expired');
    expect([await stateOf(inGrace.id), await stateOf(legacyRecent.id), await stateOf(uploaded.id)]).toEqual(['created', 'created', 'uploaded']);
    expect(await env.store.stat(abandoned.sourceKey)).toBeUndefined();
    expect(await env.store.stat(legacy.sourceKey)).toBeUndefined();
    expect(await env.store.stat(inGrace.sourceKey)).toBeDefined();
    expect(await env.store.stat(uploaded.sourceKey)).toBeDefined();
    const events = await env.db.event.findMany({ where: { mediaId: abandoned.id, reason: 'upload_window_elapsed' }, orderBy: { id: 'asc' } });
    expect(events.map((e) => [e.type, e.fromState, e.toState])).toEqual([
      ['state_changed', 'created', 'expired'],
      ['objects_purged', null, null],
    ]);

    // A late writer's object under an expired media goes at the next sweep; the media is not expired twice.
    await env.store.putBuffer(abandoned.sourceKey, 'arrived late');
    const again = await sweep.handle();
    expect(again.expiredUploads).toBe(0);
    expect(again.deletedMediaObjects).toBe(1);
    expect(await env.store.stat(abandoned.sourceKey)).toBeUndefined();
  });
});

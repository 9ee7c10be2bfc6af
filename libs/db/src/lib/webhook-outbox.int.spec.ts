import { randomBytes, randomUUID } from 'node:crypto';
import { createTestSchema, ensurePostgres, workspaceRoot } from '@airlock/devstack';
import { MediaState } from '@airlock/domain';
import { PrismaClient } from '../generated/prisma/client';
import { transitionMedia, transitionMediaIn } from './media-transitions';
import { createPrismaClient } from './prisma.factory';

const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/airlock_test';

/** The outbox on real Postgres: one event per state change that concerns recipients, committed with it or not at all. */
describe('webhook outbox (transitionMediaIn)', () => {
  const schema = `t_outbox_${randomBytes(4).toString('hex')}`;
  let db: PrismaClient;
  let dropSchema: () => Promise<void>;

  beforeAll(async () => {
    await ensurePostgres(TEST_DATABASE_URL, () => undefined);
    dropSchema = await createTestSchema(workspaceRoot(__dirname), TEST_DATABASE_URL, schema);
    db = createPrismaClient({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 4 });
    await db.tenant.create({ data: { id: 't1', name: 't1', apiKeyHash: randomUUID() } });
  }, 30_000);
  afterAll(async () => {
    await db?.$disconnect();
    await dropSchema?.();
  });

  // libs/testing's mediaRow builds on this lib, so the db spec has its own minimal row.
  async function media(state: MediaState): Promise<string> {
    const id = randomUUID();
    await db.media.create({
      data: { id, tenantId: 't1', state, profiles: ['240p'], sourceKey: `src/${id}/k`, sourceSha256: 'a'.repeat(64), sourceSizeBytes: 1n, sizeClass: 's', contentKeyJwe: 'x', outputKeyJwe: 'x', outputKeyId: '0'.repeat(32) },
    });
    return id;
  }
  const events = (mediaId: string) => db.webhookEvent.findMany({ where: { mediaId }, orderBy: { seq: 'asc' } });

  it('writes one event per mapped transition, numbered 1, 2, 3... and nothing for internal steps', async () => {
    const id = await media('created');
    const path: MediaState[] = ['uploaded', 'queued', 'processing', 'preview_ready', 'verifying', 'ready', 'deleted'];
    for (const to of path) expect(await transitionMedia(db, { mediaId: id, to, reason: to === 'deleted' ? 'deleted_by_sender' : undefined })).toBe(true);

    const written = await events(id);
    expect(written.map((e) => [e.seq, e.type])).toEqual([
      [1, 'preparing'],
      [2, 'preview_available'],
      [3, 'ready'],
      [4, 'removed'],
    ]);
    expect(written.every((e) => e.tenantId === 't1' && e.deliveryState === 'pending' && e.attempts === 0)).toBe(true);
    expect(written[2].data).toEqual({ state: 'ready', recipientStatus: 'Downloading secure media' });
    expect(written[3].data).toEqual({ state: 'deleted', recipientStatus: 'Sender removed this media', reason: 'deleted_by_sender' });
    expect((await db.media.findUniqueOrThrow({ where: { id } })).eventSeq).toBe(4);
  });

  it('writes nothing for a duplicate or illegal transition (which returns false)', async () => {
    const id = await media('verifying');
    expect(await transitionMedia(db, { mediaId: id, to: 'ready' })).toBe(true);
    expect(await transitionMedia(db, { mediaId: id, to: 'ready' })).toBe(false);
    expect(await transitionMedia(db, { mediaId: id, to: 'queued' })).toBe(false);
    expect(await transitionMedia(db, { mediaId: id, to: 'preview_ready' })).toBe(false);
    expect((await events(id)).map((e) => e.seq)).toEqual([1]);
    expect((await db.media.findUniqueOrThrow({ where: { id } })).eventSeq).toBe(1);
  });

  it('names the failure code of a failure, and says preparing again after a re-drive', async () => {
    const id = await media('processing');
    expect(await transitionMedia(db, { mediaId: id, to: 'failed_retryable', reason: 'task_failed', set: { failureCode: 'task_failed', failureMessage: 'A processing task failed after all retries.' } })).toBe(true);
    expect(await transitionMedia(db, { mediaId: id, to: 'queued', reason: 'redrive' })).toBe(true);
    const written = await events(id);
    expect(written.map((e) => [e.seq, e.type, e.data])).toEqual([
      [1, 'failed', { state: 'failed_retryable', recipientStatus: 'Preparing video', reason: 'task_failed' }],
      [2, 'preparing', { state: 'queued', recipientStatus: 'Preparing video', reason: 'redrive' }],
    ]);
    // The failure message is for support, not for the receiver.
    expect(JSON.stringify(written)).not.toContain('retries');
  });

  it('rolls back with the transaction that moved the media', async () => {
    const id = await media('verifying');
    await expect(
      db.$transaction(async (tx) => {
        await transitionMediaIn(tx, { mediaId: id, to: 'ready' });
        throw new Error('publish failed after the transition');
      }),
    ).rejects.toThrow('publish failed');
    expect(await events(id)).toEqual([]);
    expect((await db.media.findUniqueOrThrow({ where: { id } })).state).toBe('verifying');
  });

  it('numbers concurrent transitions of one media without gaps or duplicates', async () => {
    const id = await media('verifying');
    const results = await Promise.all([transitionMedia(db, { mediaId: id, to: 'ready' }), transitionMedia(db, { mediaId: id, to: 'deleted' }), transitionMedia(db, { mediaId: id, to: 'failed_terminal' })]);
    const written = await events(id);
    expect(written.map((e) => e.seq)).toEqual(written.map((_, i) => i + 1));
    expect(written).toHaveLength(results.filter(Boolean).length);
  });

  it('does not lose a transition raced by another: the preview published while the last task is counted', async () => {
    const id = await media('processing');
    const other = createPrismaClient({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 2 });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let previewWrote!: () => void;
      const wrote = new Promise<void>((r) => (previewWrote = r));
      // The preview's transaction moves processing -> preview_ready and holds the row uncommitted...
      const preview = db.$transaction(async (tx) => {
        const moved = await transitionMediaIn(tx, { mediaId: id, to: 'preview_ready', reason: 'preview_published' });
        previewWrote();
        await held;
        return moved;
      });
      await wrote;
      // ...while the last task's transaction reads processing and blocks on the row.
      const verifying = other.$transaction((tx) => transitionMediaIn(tx, { mediaId: id, to: 'verifying', reason: 'all_tasks_done' }));
      await new Promise((r) => setTimeout(r, 300));
      release();
      expect(await preview).toBe(true);
      expect(await verifying).toBe(true);
      const changes = await db.event.findMany({ where: { mediaId: id, type: 'state_changed' }, orderBy: { id: 'asc' } });
      expect(changes.map((e) => [e.fromState, e.toState])).toEqual([
        ['processing', 'preview_ready'],
        ['preview_ready', 'verifying'],
      ]);
      expect((await db.media.findUniqueOrThrow({ where: { id } })).state).toBe('verifying');
    } finally {
      await other.$disconnect();
    }
  });
});

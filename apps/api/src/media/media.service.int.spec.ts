import { randomUUID } from 'node:crypto';
import { apiEnvSchema, loadEnv } from '@airlock/config';
import { listMediaQuerySchema } from '@airlock/contracts';
import { keyEnvFor } from '@airlock/devstack';
import { DEFAULT_MEDIA_POLICY } from '@airlock/domain';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { pipelineKeyFrom } from '../keys/pipeline-key';
import { MediaService } from './media.service';

/** Listing against real Postgres: tenant-scoped, newest first, paged by cursor, filtered by room. */
describe('MediaService.list', () => {
  let env: IntegrationEnv;
  let media: MediaService;
  const ids: string[] = [];

  beforeAll(async () => {
    env = await startIntegrationEnv('media-list');
    const config = loadEnv(apiEnvSchema, { ...process.env, ...env.env, ...keyEnvFor('api', env.keys) });
    media = new MediaService({ config, db: env.db, queues: env.queues, store: env.store, pipelineKey: pipelineKeyFrom(config.PIPELINE_PRIVATE_JWK), policies: () => DEFAULT_MEDIA_POLICY });
    for (const t of ['ta', 'tb']) await env.db.tenant.create({ data: { id: t, name: t, apiKeyHash: randomUUID() } });
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      ids.unshift(id);
      await env.db.media.create({ data: { ...mediaRow('ta', i % 2 ? 'ready' : 'processing', { id, roomId: i % 2 ? 'room-1' : 'room-2' }), createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)) } });
    }
    await env.db.media.create({ data: mediaRow('tb', 'ready', { roomId: 'room-1' }) });
  });
  afterAll(() => env?.close());

  const query = (q: Record<string, unknown>) => listMediaQuerySchema.parse(q);

  it('pages through the tenant media newest first, and only theirs', async () => {
    const first = await media.list('ta', query({ limit: 2 }));
    const second = await media.list('ta', query({ limit: 2, cursor: first.nextCursor }));
    const last = await media.list('ta', query({ limit: 2, cursor: second.nextCursor }));
    expect([...first.items, ...second.items, ...last.items].map((m) => m.id)).toEqual(ids);
    expect(last.nextCursor).toBeUndefined();
    expect(first.items[0]).toMatchObject({ state: 'processing', recipientStatus: 'Preparing video', roomId: 'room-2' });
  });

  it('filters by room and shows another tenant nothing of this one', async () => {
    expect((await media.list('ta', query({ roomId: 'room-1' }))).items.map((m) => m.id)).toEqual([ids[1], ids[3]]);
    expect((await media.list('tb', query({}))).items.map((m) => m.id)).not.toContain(ids[0]);
    expect((await media.list('tb', query({}))).items).toHaveLength(1);
  });

  it('refuses a malformed query with a validation error', () => {
    expect(() => query({ limit: 0 })).toThrow();
    expect(() => query({ cursor: 'not-a-uuid' })).toThrow();
  });
});

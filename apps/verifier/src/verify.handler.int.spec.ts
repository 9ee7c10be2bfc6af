import { createHash, randomUUID } from 'node:crypto';
import { MEDIA_FINISHED } from '@airlock/contracts';
import { JobContext } from '@airlock/queue';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { VerifyHandler } from './verify.handler';

/**
 * A verify job that runs after its media finished (a preview's, held by a killed verifier until
 * the ladder was ready; a deleted media's) is a no-op on a real Postgres: no checks, no verdict,
 * no event, and an answer the manifester passes up and publish ignores.
 */
describe('VerifyHandler after the media finished', () => {
  let env: IntegrationEnv;
  const tenantId = `tenant-${randomUUID()}`;

  beforeAll(async () => {
    env = await startIntegrationEnv('verify-late');
    await env.db.tenant.create({ data: { id: tenantId, name: 'Late verify tests', apiKeyHash: createHash('sha256').update(tenantId).digest('hex') } });
  });

  afterAll(async () => {
    await env?.close();
  });

  it.each(['ready', 'deleted', 'failed_retryable'] as const)('answers media_finished for a %s media and writes nothing', async (state) => {
    const media = await env.db.media.create({ data: mediaRow(tenantId, state) });
    const job = await env.db.job.create({ data: { mediaId: media.id, state: state === 'ready' ? 'published' : 'cancelled', lane: 'short' } });
    const events = await env.db.event.count({ where: { mediaId: media.id } });
    // Its children's values would be record steps' answers; a skipped one is no report.
    const ctx: JobContext = {
      jobId: `verify__${randomUUID()}`,
      queue: 'verify',
      attempt: 1,
      maxAttempts: 5,
      childrenValues: async <T>() => [{ skipped: MEDIA_FINISHED, state }] as T[],
      failedChildren: async () => ({}),
    };
    const segment = { index: 0, startFrame: 0, frameCount: 90, startSec: 0, durationSec: 3, gopAligned: true };
    const handler = new VerifyHandler(env.db, env.store, { workerPublicJwks: [], bitrateFactor: 4 });

    await expect(handler.handle({ mediaId: media.id, jobId: job.id, expected: { renditions: ['preview_360p'], segments: [segment], audio: false, keyId: 'ab'.repeat(16) } }, ctx)).resolves.toMatchObject({
      ok: false,
      code: MEDIA_FINISHED,
      failures: [],
    });
    expect(await env.db.outputCheck.count({ where: { mediaId: media.id } })).toBe(0);
    expect(await env.db.event.count({ where: { mediaId: media.id } })).toBe(events);
    expect((await env.db.media.findUniqueOrThrow({ where: { id: media.id } })).state).toBe(state);
  });
});

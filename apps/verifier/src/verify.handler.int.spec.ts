import { createHash, randomUUID } from 'node:crypto';
import { MEDIA_FINISHED, TaskReport } from '@airlock/contracts';
import { signReport } from '@airlock/crypto/node';
import { JobContext } from '@airlock/queue';
import { attemptRow, IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { factOf, PublishedRendition, publishRendition } from './test/published-rendition';
import { VerifyHandler } from './verify.handler';

const KEY_ID = 'c0ffee00'.repeat(4);
const KEY = Buffer.alloc(16, 0x42);

describe('VerifyHandler', () => {
  let env: IntegrationEnv;
  const tenantId = `tenant-${randomUUID()}`;

  beforeAll(async () => {
    env = await startIntegrationEnv('verify-handler');
    await env.db.tenant.create({ data: { id: tenantId, name: 'Verify handler tests', apiKeyHash: createHash('sha256').update(tenantId).digest('hex') } });
  });

  afterAll(async () => {
    await env?.close();
  });

  const context = (values: unknown[]): JobContext => ({
    jobId: `verify__${randomUUID()}`,
    queue: 'verify',
    attempt: 1,
    maxAttempts: 5,
    childrenValues: async <T>() => values as T[],
    failedChildren: async () => ({}),
  });

  /**
   * A verify job that runs after its media finished (a preview's, held by a killed verifier until
   * the ladder was ready; a deleted media's) is a no-op on a real Postgres: no checks, no verdict,
   * no event, and an answer the manifester passes up and publish ignores.
   */
  describe('after the media finished', () => {
    it.each(['ready', 'deleted', 'failed_retryable'] as const)('answers media_finished for a %s media and writes nothing', async (state) => {
      const media = await env.db.media.create({ data: mediaRow(tenantId, state) });
      const job = await env.db.job.create({ data: { mediaId: media.id, state: state === 'ready' ? 'published' : 'cancelled', lane: 'short' } });
      const events = await env.db.event.count({ where: { mediaId: media.id } });
      // Its children's values would be record steps' answers; a skipped one is no report.
      const ctx = context([{ skipped: MEDIA_FINISHED, state }]);
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

  /**
   * The whole gate on one signed report of a rendition packaged clear and encrypted whole: the
   * honest one passes; one that publishes its segment clear is refused, its attempt rejected and
   * its worker quarantined, however true every other fact in the report is.
   */
  describe('on whole-segment AES-128 outputs', () => {
    let r: PublishedRendition;

    beforeAll(async () => {
      r = await publishRendition(env.tmp, { rendition: '240p', width: 320, height: 240, seconds: 2, key: KEY, keyIdHex: KEY_ID });
    }, 120_000);

    async function verify(segmentBytes: Buffer, workerId: string) {
      const media = await env.db.media.create({ data: mediaRow(tenantId, 'processing', { outputKeyId: KEY_ID }) });
      await env.db.recipient.create({ data: { mediaId: media.id, recipientId: 'bob', publicJwk: {}, outputKeyJwe: 'h.k.iv.ct.tag' } });
      const job = await env.db.job.create({ data: { mediaId: media.id, state: 'packaging', lane: 'short' } });
      const task = await env.db.task.create({ data: { jobId: job.id, kind: 'video', segmentIndex: 0, rendition: '240p', lane: 'short', state: 'succeeded' } });
      const attempt = await env.db.attempt.create({ data: attemptRow(task.id, { workerId, state: 'succeeded', released: true }) });
      await env.db.task.update({ where: { id: task.id }, data: { winningAttemptId: attempt.id } });
      const outputs = [factOf(media.id, r, 'init', r.init), factOf(media.id, r, 'media', segmentBytes)];
      await env.store.putBuffer(outputs[0].key, r.init);
      await env.store.putBuffer(outputs[1].key, segmentBytes);
      const report: TaskReport = await signReport(
        {
          taskId: task.id,
          attemptId: attempt.id,
          attemptNumber: 1,
          workerId,
          encoderPath: 'cpu',
          encoderBuild: 'test',
          startedAt: new Date().toISOString(),
          finishedAt: new Date().toISOString(),
          stream: { rendition: '240p', type: 'video', codecs: r.codecs, width: 320, height: 240, fps: { num: 30, den: 1 }, bitrateKbps: 400, encryption: { scheme: 'aes-128', keyId: KEY_ID } },
          outputs,
          cleanup: { pathsRemoved: 3, bytesRemoved: 1000, tempDirGone: true, grantReleased: true },
          inputSha256: media.sourceSha256,
        },
        env.keys.workerPrivateJwk,
      );
      const { duration, sampleCount } = r.segmentFacts;
      const segment = { index: 0, startFrame: 0, frameCount: sampleCount, startSec: 0, durationSec: duration / r.timescale, gopAligned: true };
      const handler = new VerifyHandler(env.db, env.store, { workerPublicJwks: [env.keys.workerPublicJwk], bitrateFactor: 4 });
      const verdict = await handler.handle({ mediaId: media.id, jobId: job.id, expected: { renditions: ['240p'], segments: [segment], audio: false, keyId: KEY_ID } }, context([report]));
      return { verdict, attemptId: attempt.id };
    }

    it('passes an honest report of encrypted objects', async () => {
      const { verdict } = await verify(r.segment, 'worker-honest');
      expect(verdict).toMatchObject({ ok: true, checked: 2 });
    });

    it('refuses a segment published clear, rejects its attempt and quarantines its worker', async () => {
      const { verdict, attemptId } = await verify(r.clear.segment, 'worker-clear');
      expect(verdict).toMatchObject({ ok: false, code: 'outputs_rejected', rejected: [{ attemptId, workerId: 'worker-clear', reasons: ['encryption_missing'], quarantine: true }] });
      expect(await env.db.workerQuarantine.findUniqueOrThrow({ where: { workerId: 'worker-clear' } })).toMatchObject({ reason: 'encryption_missing', attemptId });
    });
  });
});

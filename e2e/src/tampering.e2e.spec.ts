import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AirlockClient } from '@airlock/client-sdk';
import { sealFile, uploadFile } from '@airlock/client-sdk/node';
import { generateX25519KeyPair, KeyPairJwk } from '@airlock/crypto';
import { IntegrationEnv, makeClip, ServiceStack, startIntegrationEnv, startServiceStack } from '@airlock/testing';

/**
 * The verifier's tampering suite: a dishonest worker (the real worker with WORKER_TAMPER set)
 * does the work, then lies about the 240p segments in one way per case. Each lie must be
 * named with its reason, the media must not reach `ready` on it, the worker must be
 * quarantined, and the refused tasks must run again on an honest worker, after which the
 * media is ready with only honest outputs.
 */
const CASES: { mode: string; reason: string }[] = [
  // Other bytes through the URL bound to the reported hash: the store refuses them (BadDigest),
  // so the object never lands (a store that took them would make this hash_mismatch).
  { mode: 'swap_bytes', reason: 'object_missing' },
  // Cut mid-block: whole-segment AES-128 is whole 16-byte blocks, which the gate sees without the key.
  { mode: 'truncate', reason: 'encryption_not_block_aligned' },
  { mode: 'skip_segment', reason: 'object_missing' },
  { mode: 'wrong_duration', reason: 'duration_mismatch' },
  { mode: 'other_attempt_key', reason: 'output_outside_task' },
  { mode: 'no_receipt', reason: 'cleanup_receipt_missing' },
  { mode: 'edit_after_signing', reason: 'report_signature_invalid' },
  // Last: it reports a segment of a media an earlier case published.
  { mode: 'foreign_media', reason: 'foreign_key' },
];
const TARGET = '240p';
/** This tenant's policy lets the verifier decrypt: deep checks decode every segment. */
const DEEP_TENANT = { id: 'tenant-d', key: 'key-d' };
/** This tenant's policy has every segment encoded twice, by different workers. */
const DUPLICATE_TENANT = { id: 'tenant-x', key: 'key-x' };

describe('tampering', () => {
  let env: IntegrationEnv;
  let stack: ServiceStack;
  let client: AirlockClient;
  let deepClient: AirlockClient;
  let recipient: KeyPairJwk;
  let clip: string;

  beforeAll(async () => {
    env = await startIntegrationEnv('e2e-tampering');
    const policies = join(env.tmp, 'policies.json');
    writeFileSync(policies, JSON.stringify({ tenants: { [DEEP_TENANT.id]: { verifier_may_decrypt: true }, [DUPLICATE_TENANT.id]: { verify_duplicate_fraction: 1 } } }));
    stack = await startServiceStack(env, {
      TENANT_KEYS: `tenant-t:key-t,${DEEP_TENANT.id}:${DEEP_TENANT.key},${DUPLICATE_TENANT.id}:${DUPLICATE_TENANT.key}`,
      TENANT_POLICIES_FILE: policies,
      WORKER_ACCEL: 'cpu',
      TASK_ATTEMPTS: '3',
      QUARANTINE_RECHECK_SEC: '2',
    });
    // The honest worker waits until the dishonest one has been caught.
    await stack.kill('gpu-worker', 'SIGTERM');
    client = new AirlockClient({ baseUrl: stack.apiUrl, apiKey: 'key-t' });
    deepClient = new AirlockClient({ baseUrl: stack.apiUrl, apiKey: DEEP_TENANT.key });
    recipient = await generateX25519KeyPair('bob');
    // 12 s: two 6 s segments, so a worker can report one task's object for the other.
    clip = await makeClip(env.tmp, 'clip.mp4', { width: 320, height: 240, seconds: 12 });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.close();
  });

  async function send(i: number, as = client): Promise<string> {
    const sealed = join(env.tmp, `sealed-${i}`);
    const source = await sealFile(clip, sealed, await as.pipelineKey());
    const created = await as.createMedia({ recipients: [{ id: 'bob', publicJwk: recipient.publicJwk as never }], source, profiles: [TARGET] }, `tamper-${i}`);
    await uploadFile(created.upload, sealed);
    await as.uploadComplete(created.id);
    return created.id;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 180_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** A 240p media segment of a published media: what `foreign_media` reports as its own. */
  async function foreignSegmentKey(): Promise<string> {
    const out = await env.db.output.findFirstOrThrow({ where: { rendition: TARGET, kind: 'media' } });
    return out.key;
  }

  it.each(CASES.map((c, i) => ({ ...c, i })))('$mode is refused as $reason and redone by an honest worker', async ({ mode, reason, i }) => {
    const rogueId = `rogue-${mode}`;
    const rogue = await stack.addWorker(rogueId, {
      WORKER_TAMPER: mode,
      WORKER_TAMPER_RENDITION: TARGET,
      ...(mode === 'foreign_media' ? { WORKER_TAMPER_FOREIGN_KEY: await foreignSegmentKey() } : {}),
    });
    try {
      await caughtAndRedone(await send(i), rogueId, reason);
    } finally {
      await rogue.kill('SIGTERM');
      await stack.kill('gpu-worker', 'SIGTERM');
    }
  });

  it('decodes every segment when the policy lets the verifier decrypt, with its own grant', async () => {
    await stack.restart('gpu-worker');
    try {
      const mediaId = await send(100, deepClient);
      await until('ready', async () => (await env.db.media.findUniqueOrThrow({ where: { id: mediaId } })).state === 'ready');
      const types = (await env.db.event.findMany({ where: { mediaId } })).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['verifier_grant_issued', 'verification_passed']));
      expect(types).not.toContain('verification_failed');
      expect(await env.db.outputCheck.count({ where: { mediaId, passed: false } })).toBe(0);
    } finally {
      await stack.kill('gpu-worker', 'SIGTERM');
    }
  });

  it("catches another media's segments uploaded as this one's (same timing, honest hashes) only by decrypting", async () => {
    // Segments of a media published earlier, encrypted under that media's key: they do not decrypt under this one's.
    const dir = join(env.tmp, 'foreign');
    for (const out of await env.db.output.findMany({ where: { rendition: TARGET, kind: 'media', media: { tenantId: 'tenant-t' } }, distinct: ['segmentIndex'] })) {
      writeFileSync(join(env.tmp, `foreign-${out.segmentIndex}.m4s`), await env.store.getBuffer(out.key));
    }
    const rogueId = 'rogue-foreign_bytes';
    const rogue = await stack.addWorker(rogueId, { WORKER_TAMPER: 'foreign_bytes', WORKER_TAMPER_RENDITION: TARGET, WORKER_TAMPER_FOREIGN_FILE: `${dir}-{index}.m4s` });
    try {
      await caughtAndRedone(await send(101, deepClient), rogueId, 'segment_undecryptable', deepClient);
    } finally {
      await rogue.kill('SIGTERM');
      await stack.kill('gpu-worker', 'SIGTERM');
    }
  });

  it('catches a valid but different encode by duplicate execution, settles it by majority, and quarantines the minority', async () => {
    const duplicateClient = new AirlockClient({ baseUrl: stack.apiUrl, apiKey: DUPLICATE_TENANT.key });
    const rogueId = 'rogue-corrupt_payload';
    const rogue = await stack.addWorker(rogueId, { WORKER_TAMPER: 'corrupt_payload', WORKER_TAMPER_RENDITION: TARGET });
    let second: { kill(signal?: NodeJS.Signals): Promise<void> } | undefined;
    try {
      const mediaId = await send(102, duplicateClient);
      // The rogue alone first, so it does some of the sampled tasks (never both twins of a slot).
      await until('a rogue 240p output', () => env.db.attempt.findFirst({ where: { workerId: rogueId, state: 'succeeded', task: { rendition: TARGET, job: { mediaId } } } }));
      await stack.restart('gpu-worker');
      second = await stack.addWorker('honest-2');
      await until('ready', async () => {
        const m = await env.db.media.findUniqueOrThrow({ where: { id: mediaId } });
        if (m.state.startsWith('failed')) throw new Error(`media failed: ${m.failureCode} ${m.failureMessage}`);
        return m.state === 'ready';
      });
      const tasks = await env.db.task.findMany({ where: { job: { mediaId }, rendition: TARGET } });
      expect(tasks.filter((t) => t.role === 'duplicate')).toHaveLength(tasks.length / 2);
      expect((await env.db.workerQuarantine.findUniqueOrThrow({ where: { workerId: rogueId } })).reason).toBe('duplicate_minority');
      const refused = await env.db.outputCheck.findMany({ where: { mediaId, passed: false } });
      expect(refused.map((c) => c.reason)).toContain('duplicate_minority');
      // Delivered: honest outputs only, each slot's twins from two different workers that agree.
      for (const t of tasks) {
        const winner = await env.db.attempt.findUniqueOrThrow({ where: { id: t.winningAttemptId ?? '' } });
        expect(winner.workerId).not.toBe(rogueId);
        const twin = tasks.find((o) => o.id !== t.id && o.segmentIndex === t.segmentIndex);
        const twinWinner = await env.db.attempt.findUniqueOrThrow({ where: { id: twin?.winningAttemptId ?? '' } });
        expect(twinWinner.workerId).not.toBe(winner.workerId);
      }
      for (const out of await env.db.output.findMany({ where: { mediaId } })) expect(await env.store.sha256(out.key)).toBe(out.sha256);
    } finally {
      await rogue.kill('SIGTERM');
      await second?.kill('SIGTERM');
      await stack.kill('gpu-worker', 'SIGTERM');
    }
  });

  async function caughtAndRedone(mediaId: string, rogueId: string, reason: string, as = client): Promise<void> {
    // Caught: the verdict names the lie, blames the rogue's attempt, and quarantines the rogue.
    await until('the refused tasks sent back', () => env.db.event.findFirst({ where: { mediaId, type: 'tasks_rejected' } }));
    const quarantine = await env.db.workerQuarantine.findUniqueOrThrow({ where: { workerId: rogueId } });
    expect(quarantine.clearedAt).toBeNull();
    expect(quarantine.mediaId).toBe(mediaId);
    const refused = await env.db.outputCheck.findMany({ where: { mediaId, passed: false } });
    expect(refused.map((c) => c.reason)).toContain(reason);
    const blamed = refused.filter((c) => c.reason === reason);
    expect(blamed.every((c) => c.workerId === rogueId && c.attemptId)).toBe(true);
    const rejected = await env.db.attempt.findMany({ where: { workerId: rogueId, state: 'rejected', task: { job: { mediaId } } } });
    expect(rejected.length).toBeGreaterThan(0);
    expect((await env.db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).not.toBe('ready');
    const timeline = (await as.timeline(mediaId)) as unknown as { verification: { refusals: { reason: string; workerId: string }[] } };
    expect(timeline.verification.refusals).toContainEqual(expect.objectContaining({ reason, workerId: rogueId }));
    const events = await env.db.event.findMany({ where: { mediaId }, orderBy: { id: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['verification_failed', 'worker_quarantined', 'tasks_rejected']));
    // The early stage (the lowest rung, where the rogue lied) published nothing of it either.
    expect(events.map((e) => e.type)).not.toContain('early_published');

    // Redone: an honest worker takes the refused tasks; the media is ready with honest outputs only.
    await stack.restart('gpu-worker');
    await until('ready', async () => {
      const m = await env.db.media.findUniqueOrThrow({ where: { id: mediaId } });
      if (m.state.startsWith('failed')) throw new Error(`media failed: ${m.failureCode} ${m.failureMessage}`);
      return m.state === 'ready';
    });
    const published = await env.db.output.findMany({ where: { mediaId, rendition: TARGET }, include: { task: { include: { attempts: true } } } });
    expect(published.length).toBeGreaterThan(0);
    for (const out of published) {
      const winner = out.task?.attempts.find((a) => a.id === out.task?.winningAttemptId);
      expect(winner?.workerId).not.toBe(rogueId);
    }
    // What is published is what storage holds, byte for byte, under this media's keys.
    for (const out of await env.db.output.findMany({ where: { mediaId } })) {
      expect(out.key).toContain(mediaId);
      expect(await env.store.sha256(out.key)).toBe(out.sha256);
    }
    const passed = await env.db.event.findFirst({ where: { mediaId, type: 'verification_passed' } });
    expect(passed).not.toBeNull();
  }
});

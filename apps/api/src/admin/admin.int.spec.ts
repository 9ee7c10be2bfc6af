import { randomUUID } from 'node:crypto';
import { JobName } from '@airlock/contracts';
import { MediaState } from '@airlock/domain';
import { DeadLetter, jobIdOf, QueueName } from '@airlock/queue';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { MediaService } from '../media/media.service';
import { BULL_BOARD_PATH, mountBullBoards, SUPPORT_BOARD_PATH, supportCredentials } from './bull-board';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersService } from './dead-letters.service';
import { OperatorGuard } from './operator.guard';
import { QuarantineController } from './quarantine.controller';
import { ApiTestApp, apiTestDeps, startApiTestApp } from '../testing/api-test-app';

const OPERATOR = { user: 'ops', password: 'ops-password-1' };
const SUPPORT = { user: 'support', password: 'support-password-1' };
const basic = (c: { user: string; password: string }) => `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;

/** The admin surface over HTTP on real Postgres and Redis: two Bull Boards by role, and the operators' dead-letter re-drive. */
describe('admin: boards by role, dead-letter re-drive, worker quarantine', () => {
  let env: IntegrationEnv;
  let api: ApiTestApp;
  let base: string;

  beforeAll(async () => {
    env = await startIntegrationEnv('api-admin');
    const deps = apiTestDeps(env, {
      ADMIN_USER: OPERATOR.user,
      ADMIN_PASSWORD: OPERATOR.password,
      SUPPORT_USER: SUPPORT.user,
      SUPPORT_PASSWORD: SUPPORT.password,
    });
    api = await startApiTestApp(
      deps,
      { controllers: [DeadLettersController, QuarantineController], providers: [MediaService, DeadLettersService, OperatorGuard] },
      (app) => mountBullBoards(app, env.queues, { operator: OPERATOR, support: supportCredentials(deps.config) }),
    );
    base = api.base;
    await env.db.tenant.create({ data: { id: 'ta', name: 'ta', apiKeyHash: randomUUID() } });
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  async function call(auth: string | undefined, method: string, path: string): Promise<{ status: number; json: unknown; headers: Headers }> {
    const res = await fetch(`${base}${path}`, { method, headers: auth ? { Authorization: auth } : {} });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      // HTML (the board's page)
    }
    return { status: res.status, json, headers: res.headers };
  }

  /** A media in `state` whose segment task failed for good, and its dead letter's id. */
  async function deadLetterFor(state: MediaState): Promise<{ mediaId: string; deadLetterId: string }> {
    const media = await env.db.media.create({ data: mediaRow('ta', state, state === 'failed_retryable' ? { failureCode: 'task_failed', failureMessage: 'x' } : {}) });
    const taskId = randomUUID();
    const entry: DeadLetter = {
      queue: QueueName.Short,
      name: JobName.SegmentTranscode,
      jobId: jobIdOf('transcode', taskId),
      reason: 'ffmpeg exited 1',
      attemptsMade: 3,
      ids: { mediaId: media.id, jobId: randomUUID(), taskId },
      failedAt: new Date().toISOString(),
    };
    await env.queues.deadLetter(entry);
    return { mediaId: media.id, deadLetterId: `dl__${entry.queue}__${entry.jobId}` };
  }

  const queuesOf = (json: unknown) => (json as { queues: { name: string; readOnlyMode: boolean }[] }).queues;

  it('lets support read the queues and a dead letter on its read-only board', async () => {
    const { deadLetterId } = await deadLetterFor('failed_retryable');

    const page = await call(basic(SUPPORT), 'GET', SUPPORT_BOARD_PATH);
    expect(page.status).toBe(200);
    const list = await call(basic(SUPPORT), 'GET', `${SUPPORT_BOARD_PATH}/api/queues?activeQueue=dead-letter&status=latest&page=1`);
    expect(list.status).toBe(200);
    const queues = queuesOf(list.json);
    expect(queues.map((q) => q.name)).toEqual(expect.arrayContaining([QueueName.DeadLetter, QueueName.Short, QueueName.Orchestrator]));
    expect(queues.every((q) => q.readOnlyMode)).toBe(true);

    const job = await call(basic(SUPPORT), 'GET', `${SUPPORT_BOARD_PATH}/api/queues/${QueueName.DeadLetter}/${deadLetterId}`);
    expect(job.status).toBe(200);
    expect(JSON.stringify(job.json)).toContain('ffmpeg exited 1');
  });

  it('refuses every action on the support board: retry, clean, promote, bulk retry and clean', async () => {
    const { deadLetterId } = await deadLetterFor('failed_retryable');
    const dl = `${SUPPORT_BOARD_PATH}/api/queues/${QueueName.DeadLetter}`;
    for (const action of [`${dl}/${deadLetterId}/retry`, `${dl}/${deadLetterId}/clean`, `${dl}/${deadLetterId}/promote`, `${dl}/retry/failed`, `${dl}/clean/waiting`, `${dl}/promote`, `${dl}/pause`, `${dl}/empty`]) {
      expect({ action, status: (await call(basic(SUPPORT), 'PUT', action)).status }).toEqual({ action, status: 405 });
    }
    expect(await env.queues.deadLetterEntry(deadLetterId)).toMatchObject({ reason: 'ffmpeg exited 1' });
  });

  it('gives operators the full board, each role only its own board, and 401 for wrong or missing credentials', async () => {
    const operatorView = await call(basic(OPERATOR), 'GET', `${BULL_BOARD_PATH}/api/queues?activeQueue=dead-letter&status=latest&page=1`);
    expect(operatorView.status).toBe(200);
    expect(queuesOf(operatorView.json).every((q) => !q.readOnlyMode)).toBe(true);

    for (const [auth, path] of [
      [basic(SUPPORT), `${BULL_BOARD_PATH}/api/queues`],
      [basic(OPERATOR), `${SUPPORT_BOARD_PATH}/api/queues`],
      [basic({ user: SUPPORT.user, password: 'not-the-password' }), `${SUPPORT_BOARD_PATH}/api/queues`],
      [basic({ user: 'someone', password: OPERATOR.password }), BULL_BOARD_PATH],
      [`Bearer ${OPERATOR.password}`, BULL_BOARD_PATH],
      [undefined, SUPPORT_BOARD_PATH],
    ] as const) {
      const res = await call(auth, 'GET', path);
      expect({ path, auth, status: res.status }).toEqual({ path, auth, status: 401 });
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="airlock-(admin|support)"$/);
      expect(res.json).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });

  it("re-drives a dead letter's media for operators as the tenant's re-drive would, and removes the dead letter", async () => {
    const { mediaId, deadLetterId } = await deadLetterFor('failed_retryable');
    const path = `/admin/dead-letters/${deadLetterId}/redrive`;

    for (const auth of [basic(SUPPORT), basic({ user: OPERATOR.user, password: 'wrong-password' }), undefined]) {
      expect(await call(auth, 'POST', path)).toMatchObject({ status: 401, json: { error: { code: 'unauthorized' } } });
    }
    expect((await env.db.media.findUniqueOrThrow({ where: { id: mediaId } })).state).toBe('failed_retryable');

    expect(await call(basic(OPERATOR), 'POST', path)).toMatchObject({ status: 202, json: { deadLetterId, mediaId, state: 'queued' } });
    expect(await env.db.media.findUniqueOrThrow({ where: { id: mediaId } })).toMatchObject({ state: 'queued', failureCode: null });
    const start = await env.queues.queue(QueueName.Orchestrator).getJob(jobIdOf('start', mediaId, 'redrive', 1));
    expect(start?.name).toBe(JobName.MediaStart);
    expect(await env.queues.deadLetterEntry(deadLetterId)).toBeUndefined();

    // Done once: the dead letter is gone.
    expect(await call(basic(OPERATOR), 'POST', path)).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
  });

  it('answers 404 for an unknown dead letter and 409, keeping the entry, when the media cannot be re-driven', async () => {
    expect(await call(basic(OPERATOR), 'POST', `/admin/dead-letters/dl__short__${randomUUID()}/redrive`)).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });

    const { deadLetterId } = await deadLetterFor('failed_terminal');
    expect(await call(basic(OPERATOR), 'POST', `/admin/dead-letters/${deadLetterId}/redrive`)).toMatchObject({ status: 409, json: { error: { code: 'not_redrivable' } } });
    expect(await env.queues.deadLetterEntry(deadLetterId)).toBeDefined();

    await env.queues.deadLetter({ queue: QueueName.Orchestrator, name: JobName.SweepRun, jobId: 'sweep-1', reason: 'x', attemptsMade: 5, ids: {}, failedAt: new Date().toISOString() });
    expect(await call(basic(OPERATOR), 'POST', '/admin/dead-letters/dl__orchestrator__sweep-1/redrive')).toMatchObject({ status: 409, json: { error: { code: 'not_redrivable' } } });
  });

  it('mounts no support board when no support credentials are set, and refuses half of them', () => {
    expect(supportCredentials({})).toBeUndefined();
    expect(() => supportCredentials({ SUPPORT_USER: 'support' })).toThrow('SUPPORT_USER and SUPPORT_PASSWORD go together');
    expect(supportCredentials({ SUPPORT_USER: 'support', SUPPORT_PASSWORD: 'pw-12345678' })).toEqual({ user: 'support', password: 'pw-12345678' });
  });

  it('lists quarantined workers for operators and clears one, once', async () => {
    await env.db.workerQuarantine.create({ data: { workerId: 'w-bad', reason: 'hash_mismatch' } });
    expect((await call(basic(SUPPORT), 'GET', '/admin/workers/quarantined')).status).toBe(401);
    const listed = await call(basic(OPERATOR), 'GET', '/admin/workers/quarantined');
    expect(listed.json).toEqual({ workers: [expect.objectContaining({ workerId: 'w-bad', reason: 'hash_mismatch' })] });
    expect((await call(basic(OPERATOR), 'DELETE', '/admin/workers/w-bad/quarantine')).status).toBe(200);
    expect((await env.db.workerQuarantine.findUniqueOrThrow({ where: { workerId: 'w-bad' } })).clearedBy).toBe(OPERATOR.user);
    expect((await call(basic(OPERATOR), 'DELETE', '/admin/workers/w-bad/quarantine')).status).toBe(404);
    expect(((await call(basic(OPERATOR), 'GET', '/admin/workers/quarantined')).json as { workers: unknown[] }).workers).toEqual([]);
  });
});

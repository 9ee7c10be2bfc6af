import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { generateSigningKeyPair } from '@airlock/crypto';
import { HandBackError, TerminalError } from '@airlock/queue';
import { GrantClient } from './grant-client';

/** How a refusal from the grant exchange ends the attempt: terminal, or retryable by a new attempt. */
describe('GrantClient refusals', () => {
  let server: Server;
  let answer: { status: number; code: string; retryAfter?: string };
  /** Answers to give before `answer`, one per request. */
  let first: { status: number; code: string; retryAfter?: string }[] = [];
  let requests = 0;
  let url: string;
  const ids = { attemptId: 'a', mediaId: 'm', jobId: 'j', taskId: 't' };

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      const now = first.shift() ?? answer;
      res.writeHead(now.status, { 'Content-Type': 'application/json', ...(now.retryAfter ? { 'Retry-After': now.retryAfter } : {}) });
      res.end(JSON.stringify({ error: { code: now.code, message: 'refused' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const client = async () => new GrantClient(url, (await generateSigningKeyPair('fleet')).privateJwk, 'w1', 60);

  it.each([
    [409, 'task_already_done'],
    [409, 'media_not_processing'],
    [401, 'token_bad_signature'],
  ])('ends the task for good on %i %s', async (status, code) => {
    answer = { status, code };
    await expect((await client()).acquire(ids)).rejects.toBeInstanceOf(TerminalError);
  });

  it.each([
    [401, 'token_expired'],
    [401, 'grant_expired'],
    [503, 'internal'],
  ])('leaves %i %s to a retry with a fresh grant', async (status, code) => {
    answer = { status, code };
    const err = await (await client()).acquire(ids).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(TerminalError);
  });

  it('asks again when the api answers a server error (a burst), and takes the answer that follows', async () => {
    first = [{ status: 500, code: 'internal' }, { status: 503, code: 'internal' }];
    answer = { status: 409, code: 'task_already_done' };
    requests = 0;
    await expect((await client()).acquire(ids)).rejects.toBeInstanceOf(TerminalError);
    expect(requests).toBe(3);
  });

  it('hands the work back, no try spent, when this worker is quarantined or the task needs another worker', async () => {
    first = [];
    answer = { status: 403, code: 'worker_quarantined' };
    expect(await (await client()).acquire(ids).catch((e: unknown) => e)).toBeInstanceOf(HandBackError);
    answer = { status: 409, code: 'needs_other_worker' };
    expect(await (await client()).acquire(ids).catch((e: unknown) => e)).toEqual(expect.objectContaining({ options: { delayMs: 1000 } }));
  });

  it("waits out the api's rate limit (429, Retry-After) and asks again; still limited, it hands the work back without spending a try", async () => {
    first = [{ status: 429, code: 'rate_limited', retryAfter: '0' }];
    answer = { status: 409, code: 'task_already_done' };
    requests = 0;
    await expect((await client()).acquire(ids)).rejects.toBeInstanceOf(TerminalError);
    expect(requests).toBe(2);

    first = [];
    answer = { status: 429, code: 'rate_limited', retryAfter: '0' };
    requests = 0;
    const err = await (await client()).acquire(ids).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandBackError);
    expect(err).toMatchObject({ code: 'rate_limited', options: { delayMs: 0 } });
    expect(requests).toBe(5);
  });
});

import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { generateSigningKeyPair } from '@airlock/crypto';
import { TerminalError } from '@airlock/queue';
import { GrantClient } from './grant-client';

/** How a refusal from the grant exchange ends the attempt: terminal, or retryable by a new attempt. */
describe('GrantClient refusals', () => {
  let server: Server;
  let answer: { status: number; code: string };
  let url: string;
  const ids = { attemptId: 'a', mediaId: 'm', jobId: 'j', taskId: 't' };

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: answer.code, message: 'refused' } }));
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
});

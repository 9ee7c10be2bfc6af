import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { AirlockClient } from '@airlock/client-sdk';
import { sealFile, uploadFile } from '@airlock/client-sdk/node';
import { generateX25519KeyPair, KeyPairJwk, unwrapKey } from '@airlock/crypto';
import { IntegrationEnv, makeClip, ServiceStack, startIntegrationEnv, startServiceStack, textFile } from '@airlock/testing';

/**
 * The plaintext boundary, tested: after a successful run, a failed job and a worker killed
 * mid-task, no object in storage, no Redis key or job payload, no Postgres row and no log line
 * and no span holds the source's plaintext bytes, a content key, an output key or a presigned
 * URL signature.
 */
describe('the plaintext boundary', () => {
  let env: IntegrationEnv;
  let stack: ServiceStack;
  let client: AirlockClient;
  let recipient: KeyPairJwk;
  const needles = new Map<string, Buffer>();
  let sent = 0;

  beforeAll(async () => {
    env = await startIntegrationEnv('e2e-privacy');
    // Short locks so a killed worker's task comes back within seconds (BullMQ's stalled check).
    stack = await startServiceStack(env, { TENANT_KEYS: 'tenant-p:key-p', QUEUE_LOCK_MS: '4000' });
    client = new AirlockClient({ baseUrl: stack.apiUrl, apiKey: 'key-p' });
    recipient = await generateX25519KeyPair('bob');
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.close();
  });

  /** Remember what must never appear: plaintext windows, keys and signatures, in every encoding. */
  function remember(label: string, bytes: Buffer) {
    needles.set(`${label} (raw)`, bytes);
    for (const enc of ['hex', 'base64', 'base64url'] as const) needles.set(`${label} (${enc})`, Buffer.from(bytes.toString(enc)));
  }

  function rememberPlaintext(file: string) {
    const bytes = readFileSync(file);
    // Windows spread over the file past its header: high-entropy media bytes no one could emit by chance.
    for (let i = 1; i <= 8; i++) {
      const at = Math.floor((bytes.length * i) / 10);
      needles.set(`plaintext window @${at} of ${file.split('/').pop()}`, bytes.subarray(at, at + 32));
    }
  }

  async function send(file: string): Promise<string> {
    rememberPlaintext(file);
    const sealedPath = join(env.tmp, `sealed-${sent++}`);
    const source = await sealFile(file, sealedPath, await client.pipelineKey());
    const created = await client.createMedia({ recipients: [{ id: 'bob', publicJwk: recipient.publicJwk as never }], source });
    const signature = new URL(created.upload.url).searchParams.get('X-Amz-Signature');
    if (signature) needles.set(`upload URL signature of ${created.id}`, Buffer.from(signature));
    await uploadFile(created.upload, sealedPath);
    await client.uploadComplete(created.id);
    const media = await env.db.media.findUniqueOrThrow({ where: { id: created.id } });
    remember(`content key of ${created.id}`, Buffer.from(await unwrapKey(media.contentKeyJwe, env.keys.pipelinePrivateJwk)));
    return created.id;
  }

  async function rememberOutputKey(id: string) {
    const view = await client.getMedia(id);
    const jwe = view.keys.find((k) => k.recipientId === 'bob')?.jwe;
    if (!jwe) throw new Error('no recipient key');
    remember(`output key of ${id}`, Buffer.from(await unwrapKey(jwe, recipient.privateJwk)));
  }

  const settle = (id: string) => client.waitFor(id, { timeoutMs: 300_000, intervalMs: 250 });

  it('runs a success, a failure and a worker killed mid-task', async () => {
    const clipA = await makeClip(env.tmp, 'a.mp4', { width: 640, height: 360, seconds: 8, audio: true });
    const ok = await send(clipA);
    expect((await settle(ok)).state).toBe('ready');
    await rememberOutputKey(ok);

    const bad = await send(textFile(join(env.tmp, 'note.mp4')));
    expect((await settle(bad)).state).toBe('failed_terminal');

    const clipB = await makeClip(env.tmp, 'b.mp4', { width: 1280, height: 720, seconds: 12, audio: true });
    const killed = await send(clipB);
    // Kill only once an attempt holds decrypted media in its private directory.
    await client.waitFor(killed, { timeoutMs: 120_000, intervalMs: 50, until: () => stack.workerTempLeftovers().length > 0 });
    await stack.kill('gpu-worker', 'SIGKILL');
    // The killed worker's directory, with an attempt in it: `<worker dir>/<attempt>` besides its record.
    expect(stack.workerTempLeftovers().filter((p) => p.split('/').length === 2 && !p.endsWith('/owner.json'))).not.toEqual([]);
    await stack.restart('gpu-worker');
    expect((await settle(killed)).state).toBe('ready');
    await rememberOutputKey(killed);
  });

  it('finds no plaintext, key or signature in storage', async () => {
    const objects = await env.store.list('');
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) expectClean(`object ${o.key}`, await env.store.getBuffer(o.key));
  });

  it('finds none in Redis (keys, job payloads, return values)', async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await env.queues.redis.scan(cursor, 'MATCH', `${env.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) expectClean(`redis ${key}`, Buffer.from(await dumpRedisKey(key)));
  });

  it('finds none in any Postgres row', async () => {
    const pg = new Client({ connectionString: env.databaseUrl });
    await pg.connect();
    try {
      const tables = await pg.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [env.schema]);
      expect(tables.rows.length).toBeGreaterThanOrEqual(10);
      for (const { table_name } of tables.rows) {
        const rows = await pg.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${env.schema}"."${table_name}" t`);
        expectClean(`table ${table_name}`, Buffer.from(rows.rows.map((r) => r.row).join('\n')));
      }
    } finally {
      await pg.end();
    }
  });

  it('finds none in any service log line', () => {
    const logs = readdirSync(stack.logDir);
    expect(logs.length).toBeGreaterThanOrEqual(5);
    for (const file of logs) expectClean(`log ${file}`, readFileSync(join(stack.logDir, file)));
  });

  it('finds none in any span (names, attributes, status), from every service', () => {
    const spans = stack.spans();
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['api', 'orchestrator', 'gpu-worker', 'verifier', 'manifester']));
    for (const span of spans) expectClean(`span ${span.service}/${span.name}`, Buffer.from(JSON.stringify(span)));
    const urls = spans.flatMap((s) => Object.values(s.attributes)).filter((v) => typeof v === 'string' && /https?:\/\/|X-Amz-/i.test(v));
    expect(urls).toEqual([]);
  });

  it('leaves the worker temp root empty, including the killed worker leftovers, and the worker removes its own directory when it exits', async () => {
    expect(stack.workerTempLeftovers()).toEqual([]);
    await stack.kill('gpu-worker', 'SIGTERM');
    expect(readdirSync(stack.workerTempRoot)).toEqual([]);
  });

  function expectClean(where: string, haystack: Buffer) {
    const hits = [...needles.entries()].filter(([, needle]) => needle.length >= 16 && haystack.includes(needle)).map(([label]) => `${label} in ${where}`);
    expect(hits).toEqual([]);
  }

  async function dumpRedisKey(key: string): Promise<string> {
    const r = env.queues.redis;
    switch (await r.type(key)) {
      case 'string':
        return (await r.get(key)) ?? '';
      case 'hash':
        return JSON.stringify(await r.hgetall(key));
      case 'list':
        return (await r.lrange(key, 0, -1)).join('\n');
      case 'set':
        return (await r.smembers(key)).join('\n');
      case 'zset':
        return (await r.zrange(key, '0', '-1')).join('\n');
      case 'stream':
        return JSON.stringify(await r.xrange(key, '-', '+'));
      default:
        return '';
    }
  }
});

import { join } from 'node:path';
import { AirlockClient } from '@airlock/client-sdk';
import { sealFile, uploadFile } from '@airlock/client-sdk/node';
import { generateX25519KeyPair } from '@airlock/crypto';
import { SERVICES, ServiceName } from '@airlock/devstack';
import { IntegrationEnv, makeClip, ServiceStack, startIntegrationEnv, startServiceStack } from '@airlock/testing';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Prometheus text format, the subset prom-client writes: `name{a="x",b="y"} value`. */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`unparseable metrics line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[k as string] = v as string;
      return { name: m[1] as string, labels, value: Number(m[3]) };
    });
}

const total = (samples: Sample[], name: string, where: (l: Record<string, string>) => boolean = () => true) =>
  samples.filter((s) => s.name === name && where(s.labels)).reduce((sum, s) => sum + s.value, 0);

/**
 * Metrics through the real stack: one clip through all five services, then every service's
 * /metrics shows the queue, job and FFmpeg figures moved, and no label carries an id.
 */
describe('Prometheus metrics on every service', () => {
  let env: IntegrationEnv;
  let stack: ServiceStack;
  let client: AirlockClient;

  beforeAll(async () => {
    env = await startIntegrationEnv('e2e-metrics');
    stack = await startServiceStack(env, { TENANT_KEYS: 'tenant-m:key-m' });
    client = new AirlockClient({ baseUrl: stack.apiUrl, apiKey: 'key-m' });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.close();
  });

  async function scrape(name: ServiceName): Promise<{ text: string; samples: Sample[] }> {
    const port = stack.services.get(name)?.port;
    if (!port) throw new Error(`${name} is not running`);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    return { text, samples: parseExposition(text) };
  }

  it('moves queue, job, FFmpeg and publish metrics for one clip, with no ids in labels', async () => {
    const recipient = await generateX25519KeyPair('bob');
    const clip = await makeClip(env.tmp, 'm.mp4', { width: 640, height: 360, seconds: 4, audio: true });
    const sealedPath = join(env.tmp, 'm.sealed');
    const source = await sealFile(clip, sealedPath, await client.pipelineKey());
    const created = await client.createMedia({ recipients: [{ id: 'bob', publicJwk: recipient.publicJwk as never }], source, profiles: ['240p'] });
    await uploadFile(created.upload, sealedPath);
    await client.uploadComplete(created.id);
    expect((await client.waitFor(created.id, { timeoutMs: 300_000, intervalMs: 250 })).state).toBe('ready');
    const media = await env.db.media.findUniqueOrThrow({ where: { id: created.id }, include: { jobs: { select: { id: true } } } });
    const ids = [media.id, ...media.jobs.map((j) => j.id)];

    const scraped = new Map<ServiceName, Sample[]>();
    for (const name of SERVICES) {
      const { samples } = await scrape(name);
      scraped.set(name, samples);
      // Every service runs with process metrics labelled by service.
      expect(total(samples, 'process_cpu_seconds_total', (l) => l['service'] === name)).toBeGreaterThan(0);
      // No label value carries the media id or a job id.
      const leaked = samples.flatMap((s) => Object.values(s.labels)).filter((v) => ids.some((id) => v.includes(id)));
      expect(leaked).toEqual([]);
    }

    const worker = scraped.get('gpu-worker') ?? [];
    const lane = (l: Record<string, string>) => l['queue'] === 'short' || l['queue'] === 'long';
    expect(total(worker, 'airlock_queue_wait_seconds_count', lane)).toBeGreaterThan(0);
    expect(total(worker, 'airlock_job_duration_seconds_count', (l) => lane(l) && l['outcome'] === 'completed')).toBeGreaterThan(0);
    expect(total(worker, 'airlock_ffmpeg_cpu_seconds_total', (l) => l['worker_class'] === 'cpu')).toBeGreaterThan(0);
    expect(total(worker, 'airlock_processed_media_seconds_total', (l) => l['worker_class'] === 'cpu' && l['profile'] === '240p')).toBeGreaterThan(0);
    expect(total(worker, 'airlock_ffmpeg_seconds_count', (l) => l['profile'] === '240p' && l['worker_class'] === 'cpu')).toBeGreaterThan(0);

    const orchestrator = scraped.get('orchestrator') ?? [];
    const orchestratorQueue = (l: Record<string, string>) => l['queue'] === 'orchestrator';
    expect(total(orchestrator, 'airlock_queue_wait_seconds_count', orchestratorQueue)).toBeGreaterThan(0);
    expect(total(orchestrator, 'airlock_job_duration_seconds_count', (l) => orchestratorQueue(l) && l['job'] === 'media.publish')).toBeGreaterThan(0);
    expect(total(orchestrator, 'airlock_output_input_size_ratio_count')).toBeGreaterThanOrEqual(1);
    expect(total(orchestrator, 'airlock_output_input_size_ratio_sum')).toBeGreaterThan(0);
    // Scrape-time gauges answer from BullMQ: one sample per queue, and the dead-letter depth.
    expect(orchestrator.filter((s) => s.name === 'airlock_queue_waiting_jobs').map((s) => s.labels['queue'])).toEqual(expect.arrayContaining(['orchestrator', 'short', 'long', 'verify', 'manifest']));
    expect(orchestrator.some((s) => s.name === 'airlock_oldest_waiting_job_age_seconds')).toBe(true);
    expect(orchestrator.find((s) => s.name === 'airlock_dead_letter_depth')?.value).toBe(0);

    expect(total(scraped.get('verifier') ?? [], 'airlock_job_duration_seconds_count', (l) => l['queue'] === 'verify' && l['outcome'] === 'completed')).toBeGreaterThan(0);
    expect(total(scraped.get('manifester') ?? [], 'airlock_job_duration_seconds_count', (l) => l['queue'] === 'manifest' && l['outcome'] === 'completed')).toBeGreaterThan(0);
    // The api answers how many grants are live (a Prisma count); the finished media's were released.
    const grants = (scraped.get('api') ?? []).find((s) => s.name === 'airlock_active_grants');
    expect(grants?.value).toBeGreaterThanOrEqual(0);
  }, 420_000);
});

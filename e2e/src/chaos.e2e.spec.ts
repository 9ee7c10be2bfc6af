import { createServer, IncomingMessage, Server } from 'node:http';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AirlockClient } from '@airlock/client-sdk';
import { sealFile, uploadFile, verifyWebhook } from '@airlock/client-sdk/node';
import { JobName, WebhookEventBody } from '@airlock/contracts';
import { generateX25519KeyPair, KeyPairJwk } from '@airlock/crypto';
import { isPreviewRendition, storageKeys } from '@airlock/domain';
import { jobIdOf, QueueName } from '@airlock/queue';
import { ExtraWorker, IntegrationEnv, makeClip, ServiceStack, startIntegrationEnv, startServiceStack } from '@airlock/testing';

/**
 * The CI run: 12 clips of 10 s, 2 deleted. The bench (`node bench/chaos.mjs`) runs the same suite
 * with CHAOS_MEDIA=500+ and short clips, and reads the figures from CHAOS_REPORT.
 */
const MEDIA = Number(process.env['CHAOS_MEDIA'] ?? 12);
const SECONDS = Number(process.env['CHAOS_SECONDS'] ?? 10);
const DELETED = Number(process.env['CHAOS_DELETE'] ?? 2);
const REPORT = process.env['CHAOS_REPORT'];
/** CHAOS_DEFAULTS=1: the services' default heartbeat, watchdog and lock settings instead of the suite's tightened ones (the bench measures recovery with both). */
const DEFAULTS = process.env['CHAOS_DEFAULTS'] === '1';
const STEP_MS = 4000;
/** Cheap rungs, so a batch fits in CI while the faults still land on work in flight. */
const PROFILES = (process.env['CHAOS_PROFILES'] ?? '240p,360p').split(',');

/** What the chat backend's endpoint saw: every delivery, its signature verdict, and its body. */
interface Delivery {
  readonly at: number;
  readonly valid: boolean;
  readonly body: WebhookEventBody;
}

/**
 * The chaos suite: the real services as processes, a batch of short clips, and while they run
 * workers SIGKILLed every few seconds, the orchestrator restarted twice (a crash and a deploy),
 * Redis's keyspace flushed once, every task's completion delivered again (some before the task
 * finished, out of order) and media deleted mid-flight. Then nothing may be lost, counted twice,
 * published partially, resurrected or left behind.
 */
describe('chaos', () => {
  let env: IntegrationEnv;
  let stack: ServiceStack;
  let client: AirlockClient;
  let recipient: KeyPairJwk;
  let receiver: Server;
  let secret = '';
  const deliveries: Delivery[] = [];
  const workers: ExtraWorker[] = [];
  const faults: { at: number; what: string }[] = [];
  /** Every SIGKILL of a worker: who, and the attempts it had running at that moment. */
  const kills: { step: number; at: number; workerId: string; running: string[] }[] = [];
  /** Record jobs of the callbacks delivered again: the run is judged once they have all settled. */
  const redelivered: string[] = [];
  const manifestViolations: string[] = [];
  const ids: string[] = [];
  const deleted = new Set<string>();

  beforeAll(async () => {
    env = await startIntegrationEnv('e2e-chaos');
    const policies = join(env.tmp, 'policies.json');
    writeFileSync(policies, JSON.stringify({ default: { quotas: { max_active_media_per_tenant: MEDIA + 10, max_active_media_per_room: MEDIA + 10 } } }));
    stack = await startServiceStack(env, {
      TENANT_KEYS: 'tenant-c:key-c',
      TENANT_POLICIES_FILE: policies,
      WORKER_ACCEL: 'cpu',
      // Short locks and a quick watchdog (unless the defaults are measured), a quick reconciler,
      // frequent sweeps, fast webhook retries.
      ...(DEFAULTS ? {} : { QUEUE_LOCK_MS: '4000', HEARTBEAT_SEC: '0.5', ATTEMPT_SILENCE_SEC: '3', WATCHDOG_EVERY_SEC: '1' }),
      RECONCILE_EVERY_SEC: '2',
      RECONCILE_GRACE_SEC: '3',
      TASK_ATTEMPTS: '12',
      SWEEP_EVERY_SEC: '2',
      WEBHOOK_POLL_MS: '100',
      WEBHOOK_BACKOFF_BASE_MS: '100',
      WEBHOOK_BACKOFF_CAP_MS: '2000',
      WEBHOOK_MAX_ATTEMPTS: '50',
      // The chat backend's receiver below listens on 127.0.0.1.
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    });
    workers.push(await stack.addWorker('chaos-2'));
    client = new AirlockClient({ baseUrl: stack.apiUrl, apiKey: 'key-c' });
    recipient = await generateX25519KeyPair('bob');
    receiver = await startReceiver();
    const res = await fetch(`${stack.apiUrl}/v1/webhook-endpoint`, {
      method: 'PUT',
      headers: { Authorization: 'Bearer key-c', 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks` }),
    });
    secret = ((await res.json()) as { secret: string }).secret;
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await new Promise((r) => receiver?.close(r));
    await env?.close();
  });

  /** The chat backend's endpoint: checks signatures, and answers 500 to one delivery in five (retries must follow). */
  async function startReceiver(): Promise<Server> {
    let n = 0;
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        deliveries.push({ at: Date.now(), valid: verifyWebhook(secret, req.headers, raw).ok, body: JSON.parse(raw.toString()) as WebhookEventBody });
        res.statusCode = ++n % 5 === 0 ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return server;
  }

  async function send(file: string, i: number): Promise<string> {
    const sealedPath = join(env.tmp, `sealed-${i}`);
    const source = await sealFile(file, sealedPath, await client.pipelineKey());
    const created = await client.createMedia({ recipients: [{ id: 'bob', publicJwk: recipient.publicJwk as never }], source, profiles: PROFILES }, `chaos-${i}`);
    await uploadFile(created.upload, sealedPath);
    await client.uploadComplete(created.id);
    // A duplicate create and a duplicate upload-complete change nothing.
    expect((await client.createMedia({ recipients: [{ id: 'bob', publicJwk: recipient.publicJwk as never }], source, profiles: PROFILES }, `chaos-${i}`)).id).toBe(created.id);
    await client.uploadComplete(created.id);
    return created.id;
  }

  /** Every completion callback delivered again: a record step with no work under it, for every task there is. */
  async function redeliverCallbacks(round: number): Promise<number> {
    const tasks = await env.db.task.findMany({ where: { job: { mediaId: { in: ids } }, kind: { not: 'probe' } }, include: { job: { select: { mediaId: true } } } });
    for (const t of tasks) {
      const jobId = jobIdOf('record', t.id, 'again', round);
      await env.queues.add(JobName.TaskRecord, { mediaId: t.job.mediaId, jobId: t.jobId, taskId: t.id }, { jobId });
      redelivered.push(jobId);
    }
    return tasks.length;
  }

  /** Until every callback delivered again has been recorded (completed, or failed for good). */
  async function redeliveriesSettled(timeoutMs: number): Promise<void> {
    await eventually(async () => {
      // Those lost in the flush are gone (undefined): nothing of them is left to settle.
      const states = await Promise.all(redelivered.map((id) => env.queues.jobState(QueueName.Orchestrator, id)));
      expect(states.filter((st) => st !== undefined && st !== 'completed' && st !== 'failed')).toEqual([]);
    }, timeoutMs);
  }

  /**
   * A worker's attempts in flight right now, waiting up to `waitMs` for it to have one: a kill
   * must land on running work to prove anything.
   */
  async function runningAttemptsOf(workerId: string, waitMs: number): Promise<string[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const rows = await env.db.attempt.findMany({ where: { workerId, state: 'running', finishedAt: null, task: { job: { mediaId: { in: ids } } } }, select: { id: true } });
      if (rows.length > 0 || Date.now() > deadline) return rows.map((r) => r.id);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Redis loses everything of this deployment (its keyspace; other test worlds share the server). */
  async function flushRedis(): Promise<number> {
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await env.queues.redis.scan(cursor, 'MATCH', `${env.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await env.queues.redis.del(...keys);
    } while (cursor !== '0');
    return removed;
  }

  /**
   * What a recipient's app could see at any moment: a manifest only when ready, and then whole.
   * Each media is checked through the API when it turns ready; media still in flight are sampled.
   */
  async function watchManifests(stop: () => boolean): Promise<void> {
    const checked = new Set<string>();
    while (!stop()) {
      const rows = await env.db.media.findMany({ where: { id: { in: [...ids] } }, select: { id: true, state: true } });
      const ready = rows.filter((m) => m.state === 'ready' && !checked.has(m.id));
      const inFlight = rows.filter((m) => m.state !== 'ready').slice(0, 5);
      for (const m of [...ready, ...inFlight]) {
        const view = await client.getMedia(m.id).catch(() => undefined);
        if (!view?.manifests) continue;
        if (view.state !== 'ready') manifestViolations.push(`${m.id}: manifests visible in ${view.state}`);
        if (checked.has(m.id)) continue;
        checked.add(m.id);
        const problem = await incompleteHls(view.manifests.hls);
        if (problem) manifestViolations.push(`${m.id}: ${problem}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** The bench's figures, from Postgres (the source of truth) after the run. */
  async function measure(t0: number, finals: { id: string; state: string }[]) {
    const live = finals.filter((m) => !deleted.has(m.id));
    const jobs = await env.db.job.findMany({ where: { mediaId: { in: ids } }, include: { tasks: { include: { attempts: { select: { state: true } } } } } });
    const doubled = jobs.flatMap((j) => j.tasks).filter((t) => t.attempts.filter((a) => a.state === 'succeeded').length > 1).length + jobs.filter((j) => j.tasksSucceeded > j.tasksTotal).length;
    const events = await env.db.event.groupBy({ by: ['type', 'reason'], where: { mediaId: { in: ids } }, _count: true });
    const count = (type: string, reason?: string) => events.filter((e) => e.type === type && (!reason || e.reason === reason)).reduce((n, e) => n + e._count, 0);
    const attempts = await env.db.attempt.groupBy({ by: ['state'], where: { task: { job: { mediaId: { in: ids } } } }, _count: true });
    const marks = await env.db.event.findMany({ where: { mediaId: { in: live.map((m) => m.id) }, type: 'state_changed', toState: { in: ['uploaded', 'ready'] } }, select: { mediaId: true, toState: true, at: true } });
    const readySec = live
      .map((m) => {
        const up = marks.find((e) => e.mediaId === m.id && e.toState === 'uploaded')?.at.getTime();
        const ready = marks.find((e) => e.mediaId === m.id && e.toState === 'ready')?.at.getTime();
        return up && ready ? (ready - up) / 1000 : undefined;
      })
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    const successes = (await env.db.attempt.findMany({ where: { state: 'succeeded', task: { job: { mediaId: { in: ids } } } }, select: { finishedAt: true } }))
      .map((a) => (a.finishedAt?.getTime() ?? 0) - t0)
      .sort((a, b) => a - b);
    const pct = (p: number) => readySec[Math.min(readySec.length - 1, Math.floor((p / 100) * readySec.length))] ?? null;
    // Per kill: how long until every task the killed worker was running had a new attempt (its
    // media not finished meanwhile): the recovery the watchdog and the task's backoff give.
    const lost = await env.db.attempt.findMany({ where: { id: { in: kills.flatMap((k) => k.running) } }, select: { id: true, taskId: true, state: true, finishedAt: true } });
    // Per kill: how long until the last of its attempts was judged lost (its job handed back).
    const judgedAfter = (k: (typeof kills)[number]) => {
      const at = lost.filter((a) => k.running.includes(a.id) && a.state === 'stale' && a.finishedAt).map((a) => (a.finishedAt?.getTime() ?? 0) - k.at);
      return at.length > 0 ? Math.max(...at) / 1000 : null;
    };
    const tries = await env.db.attempt.findMany({ where: { taskId: { in: lost.map((a) => a.taskId) } }, select: { taskId: true, startedAt: true } });
    const retriedAfter = (k: (typeof kills)[number]) => {
      const delays = k.running
        .map((id) => lost.find((a) => a.id === id)?.taskId)
        .map((taskId) => tries.filter((t) => t.taskId === taskId && t.startedAt.getTime() > k.at).map((t) => t.startedAt.getTime() - k.at))
        .filter((d) => d.length > 0)
        .map((d) => Math.min(...d));
      return delays.length > 0 ? Math.max(...delays) / 1000 : null;
    };
    return {
      media: MEDIA,
      deleted: deleted.size,
      completionRate: live.filter((m) => m.state === 'ready').length / Math.max(1, live.length),
      lostJobs: live.filter((m) => m.state !== 'ready').length,
      duplicateCounts: doubled,
      taskSuccesses: successes.length,
      attemptsLost: attempts.filter((a) => a.state !== 'succeeded').reduce((n, a) => n + a._count, 0),
      attempts: Object.fromEntries(attempts.map((a) => [a.state, a._count])),
      flowsRebuilt: count('flow_rebuilt'),
      heartbeatLost: count('attempt_stale', 'heartbeat_lost'),
      // Probe attempts whose result never reached the planner (a Redis flush lost it): judged by the watchdog.
      probeResultsNotRecorded: await env.db.attempt.count({ where: { errorCode: 'result_not_recorded', task: { kind: 'probe', job: { mediaId: { in: ids } } } } }),
      kills: kills.length,
      // Attempts judged silent that no kill explains: a healthy worker's heartbeats late (false stale verdicts).
      staleNotKilled: (await env.db.attempt.findMany({ where: { errorCode: 'heartbeat_lost', task: { job: { mediaId: { in: ids } } } }, select: { id: true } })).filter((a) => !kills.some((k) => k.running.includes(a.id))).length,
      webhooksDelivered: deliveries.length,
      readyP50Sec: pct(50),
      readyP95Sec: pct(95),
      wallSec: (Date.now() - t0) / 1000,
      settings: DEFAULTS ? 'defaults' : 'tightened (lock 4 s, heartbeat 0.5 s, silence 3 s, watchdog 1 s)',
      faults: faults.map((f) => {
        const next = successes.find((x) => x > f.at);
        return { atSec: f.at / 1000, what: f.what, recoverySec: f.what === 'all settled' || next === undefined ? null : (next - f.at) / 1000 };
      }),
      /** Each worker kill: seconds until every task it was running had started again elsewhere. */
      killedTasksRetriedSec: kills.map((k) => ({ atSec: (k.at - t0) / 1000, judgedLostAfterSec: judgedAfter(k), retriedAfterSec: retriedAfter(k) })),
    };
  }

  function report(f: Awaited<ReturnType<typeof measure>>): string {
    return [
      `chaos: ${f.media} media (${f.deleted} deleted) in ${f.wallSec.toFixed(0)} s: completion ${(f.completionRate * 100).toFixed(1)} %, lost ${f.lostJobs}, counted twice ${f.duplicateCounts}`,
      `  ready after upload-complete: p50 ${f.readyP50Sec?.toFixed(1)} s, p95 ${f.readyP95Sec?.toFixed(1)} s; ${f.taskSuccesses} task successes, ${f.attemptsLost} attempts lost (${JSON.stringify(f.attempts)}), ${f.flowsRebuilt} flows rebuilt, ${f.webhooksDelivered} webhook deliveries`,
      `  ${f.kills} worker kills, each on running work; ${f.heartbeatLost} attempts judged by heartbeat (${f.staleNotKilled} of them not on a killed worker), ${f.probeResultsNotRecorded} probe results not recorded; settings ${f.settings}`,
      `  per kill, its attempts judged lost after (s): ${f.killedTasksRetriedSec.map((k) => k.judgedLostAfterSec?.toFixed(1) ?? '-').join(' ')}`,
      `  per kill, its tasks running again after (s; backoff doubles per try, and a free worker is needed): ${f.killedTasksRetriedSec.map((k) => k.retriedAfterSec?.toFixed(1) ?? '-').join(' ')}`,
      ...f.faults.map((x) => `  +${x.atSec.toFixed(1)} s ${x.what}${x.recoverySec === null ? '' : ` (next task success after ${x.recoverySec.toFixed(1)} s)`}`),
      '',
    ].join('\n');
  }

  it('loses nothing, counts nothing twice and publishes nothing partial through kills, restarts, a Redis flush, repeated callbacks and deletions', async () => {
    const clip = await makeClip(env.tmp, 'clip.mp4', { width: 640, height: 360, seconds: SECONDS, audio: true });
    const t0 = Date.now();
    const fault = (what: string) => faults.push({ at: Date.now() - t0, what });
    // Clips keep arriving while the faults land.
    const sending = (async () => {
      for (let i = 0; i < MEDIA; i++) ids.push(await send(clip, i));
    })();
    await eventuallyTrue(() => ids.length >= Math.min(MEDIA, 4), 60_000);
    const finalCount = async () => env.db.media.count({ where: { id: { in: ids }, state: { in: ['ready', 'deleted', 'failed_terminal', 'failed_retryable', 'expired'] } } });
    let settled = false;
    const watching = watchManifests(() => settled);

    // The main worker's id is its host and pid (no WORKER_ID), new at every relaunch.
    const allWorkers = [
      { id: () => `${hostname()}-${stack.services.get('gpu-worker')?.process.pid}`, kill: () => stack.kill('gpu-worker', 'SIGKILL'), relaunch: () => stack.restart('gpu-worker') },
      ...workers.map((w) => ({ id: () => w.id, kill: () => w.kill('SIGKILL'), relaunch: () => w.relaunch() })),
    ];
    const deletionSteps = [1, 3, ...Array.from({ length: Math.max(0, DELETED - 2) }, (_, i) => 4 + i)];
    for (let step = 0; step < 8 || ids.length < MEDIA || (await finalCount()) < MEDIA; step++) {
      if (step > 400) throw new Error('the batch did not settle');
      const victim = allWorkers[step % allWorkers.length];
      // Killed only with work in flight (late in the batch a worker may be idle: no kill then).
      const workerId = victim.id();
      const running = await runningAttemptsOf(workerId, 8000);
      if (running.length > 0) {
        await victim.kill();
        kills.push({ step, at: Date.now(), workerId, running });
        fault(`SIGKILL worker ${step % allWorkers.length} (${running.length} attempts running)`);
        await victim.relaunch();
      }
      if (step === 1) {
        await stack.kill('orchestrator', 'SIGKILL');
        fault('orchestrator SIGKILL');
        await stack.restart('orchestrator');
      }
      if (step === 2 || step === 5) fault(`callbacks delivered again: ${await redeliverCallbacks(step)} tasks`);
      if (step === 3) fault(`redis flushed: ${await flushRedis()} keys`);
      if (step === 4) {
        await stack.restart('orchestrator');
        fault('orchestrator restarted (SIGTERM)');
      }
      for (let k = deletionSteps.filter((d) => d === step).length; k > 0; k--) {
        // Mid-flight: the latest media still in processing.
        const states = await env.db.media.findMany({ where: { id: { in: ids } }, select: { id: true, state: true } });
        const inFlight = [...ids].reverse().find((id) => !deleted.has(id) && ['queued', 'processing', 'preview_ready', 'verifying'].includes(states.find((m) => m.id === id)?.state ?? ''));
        if (!inFlight) throw new Error('no media left in flight to delete: make the batch bigger');
        const before = states.find((m) => m.id === inFlight)?.state;
        await client.deleteMedia(inFlight);
        deleted.add(inFlight);
        fault(`deleted ${inFlight} while ${before}`);
      }
      await new Promise((r) => setTimeout(r, STEP_MS));
    }
    await sending;
    settled = true;
    await watching;
    // Callbacks once more, after everything finished: the last fault. Everything below is read
    // after it has settled, so nothing it could change is judged before it.
    fault(`callbacks delivered again after the end: ${await redeliverCallbacks(999)} tasks`);
    await redeliveriesSettled(120_000);
    // Sweeps, the watchdog and webhook retries run on: a few of their periods more.
    await new Promise((r) => setTimeout(r, 3000));
    fault('all settled');
    const finals = await env.db.media.findMany({ where: { id: { in: ids } }, select: { id: true, state: true } });

    const figures = await measure(t0, finals);
    if (REPORT) writeFileSync(REPORT, JSON.stringify(figures, null, 2));
    process.stdout.write(report(figures));

    // A media that went wrong says why, before the assertions below.
    for (const m of finals.filter((x) => x.state !== (deleted.has(x.id) ? 'deleted' : 'ready'))) {
      const row = await env.db.media.findUniqueOrThrow({ where: { id: m.id } });
      const events = await env.db.event.findMany({ where: { mediaId: m.id }, orderBy: { id: 'asc' } });
      process.stdout.write(`chaos: ${m.id} ended ${m.state} (${row.failureCode}: ${row.failureMessage})\n${events.map((e) => `  ${e.at.toISOString()} ${e.type} ${e.reason ?? ''} ${JSON.stringify(e.data)}`).join('\n')}\n`);
    }
    // Every media not deleted is ready; the deleted stay deleted.
    for (const m of finals) expect([m.id, m.state]).toEqual([m.id, deleted.has(m.id) ? 'deleted' : 'ready']);
    expect(finals).toHaveLength(MEDIA);
    expect(manifestViolations).toEqual([]);

    // Zero tasks counted twice (read after the last redelivery settled): no task with two winning
    // attempts, no job counted past its tasks.
    expect(figures.duplicateCounts).toBe(0);
    // Exactly one published job per ready media (none for one deleted before it was ready); its counter equals its
    // ladder's tasks, each task has exactly its one winning attempt, and the probe's winner is
    // recorded like every task's.
    // A deletion sent while the media read as verifying can land just after its publish committed:
    // then it was ready, and deleted, and its job stays published.
    const jobsOf = await env.db.job.findMany({ where: { mediaId: { in: ids } }, include: { tasks: { include: { attempts: true } } } });
    const readyBeforeDeletion = new Set((await env.db.event.findMany({ where: { mediaId: { in: [...deleted] }, type: 'state_changed', toState: 'ready' }, select: { mediaId: true } })).map((e) => e.mediaId));
    for (const id of ids) {
      const published = jobsOf.filter((j) => j.mediaId === id && j.state === 'published');
      expect([id, published.length]).toEqual([id, deleted.has(id) && !readyBeforeDeletion.has(id) ? 0 : 1]);
      const [job] = published;
      if (!job) continue;
      const ladder = job.tasks.filter((t) => t.kind !== 'probe' && !isPreviewRendition(t.rendition));
      expect(job.tasksSucceeded).toBe(job.tasksTotal);
      expect(ladder).toHaveLength(job.tasksTotal);
      for (const t of job.tasks.filter((x) => x.state === 'succeeded')) {
        const won = t.attempts.filter((a) => a.state === 'succeeded');
        expect([t.id, t.kind, won.map((a) => a.id)]).toEqual([t.id, t.kind, [t.winningAttemptId]]);
      }
      const probe = job.tasks.find((t) => t.kind === 'probe');
      expect([id, probe?.state, probe?.winningAttemptId ? 'winner' : 'none']).toEqual([id, 'succeeded', 'winner']);
    }

    // Deleted media: no object left once the sweeper has caught late writers.
    await eventually(async () => {
      for (const id of deleted) {
        for (const prefix of storageKeys.mediaPrefixes(id)) expect([prefix, (await env.store.list(prefix)).length]).toEqual([prefix, 0]);
      }
    }, 30_000);

    // The workers' shared temp root: empty once the workers are idle (only each live worker's own
    // empty directory; every killed worker's directory wiped by a live one's sweep).
    await eventually(() => expect(stack.workerTempLeftovers()).toEqual([]), 30_000);

    // No FFmpeg or packager run outlived the worker that started it (children carry a parent-death signal).
    const roots = [stack.workerTempRoot, ...workers.map((w) => w.tempRoot)];
    await eventually(() => expect(processesUsing(roots)).toEqual([]), 10_000);

    // Every attempt ended with an outcome (lost ones judged by the watchdog).
    await eventually(async () => expect(await env.db.attempt.count({ where: { state: 'running', task: { job: { mediaId: { in: ids } } } } })).toBe(0), 30_000);

    // Webhooks: every delivery signed, every event at least once, each media's events in sequence.
    await eventually(() => {
      for (const id of ids) {
        const types = new Set(deliveries.filter((d) => d.body.mediaId === id).map((d) => d.body.type));
        expect([id, [...types].sort()]).toEqual([id, expect.arrayContaining(deleted.has(id) ? ['removed'] : ['preparing', 'ready'])]);
      }
    }, 30_000);
    expect(deliveries.every((d) => d.valid)).toBe(true);
    for (const id of ids) {
      const firstSeen = new Map<string, number>();
      for (const d of deliveries.filter((x) => x.body.mediaId === id)) if (!firstSeen.has(d.body.id)) firstSeen.set(d.body.id, d.body.seq);
      const seqs = [...firstSeen.values()];
      expect([id, seqs]).toEqual([id, [...seqs].sort((a, b) => a - b)]);
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    const outbox = await env.db.webhookEvent.findMany({ where: { mediaId: { in: ids } } });
    for (const e of outbox) expect([e.id, deliveries.some((d) => d.body.id === e.id)]).toEqual([e.id, true]);

    // Each fault landed on work in flight: flows were rebuilt after the flush, and every SIGKILL
    // hit at least one running attempt of its worker that then ended lost (stale), judged by the
    // watchdog from its heartbeats or closed with its media.
    expect(figures.flowsRebuilt).toBeGreaterThan(0);
    expect(kills.length).toBeGreaterThanOrEqual(4);
    const ended = new Map((await env.db.attempt.findMany({ where: { id: { in: kills.flatMap((k) => k.running) } }, select: { id: true, state: true, errorCode: true } })).map((a) => [a.id, a]));
    for (const k of kills) {
      const lost = k.running.filter((id) => ended.get(id)?.state === 'stale');
      expect([k.step, k.workerId, lost.length > 0 ? 'landed' : k.running.map((id) => `${id}: ${ended.get(id)?.state}/${ended.get(id)?.errorCode}`)]).toEqual([k.step, k.workerId, 'landed']);
    }
    expect(figures.heartbeatLost).toBeGreaterThan(0);
  });
});

/** An HLS master whose every media playlist is final (ENDLIST), names its key only by airlock-key://, and whose every init and segment can be fetched. */
async function incompleteHls(masterUrl: string): Promise<string | undefined> {
  const master = await (await fetch(masterUrl)).text();
  const playlists = master.split('\n').filter((l) => l && !l.startsWith('#'));
  const fromTags = [...master.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]);
  for (const rel of [...playlists, ...fromTags]) {
    const url = new URL(rel, masterUrl).toString();
    const res = await fetch(url);
    if (!res.ok) return `playlist ${rel} answers ${res.status}`;
    const text = await res.text();
    if (!text.includes('#EXT-X-ENDLIST')) return `playlist ${rel} is not final`;
    // The key is named, never served: every key URI is one the recipient's app answers.
    const served = [...text.matchAll(/#EXT-X-KEY:[^\n]*URI="([^"]+)"/g)].map((m) => m[1]).find((k) => !k.startsWith('airlock-key://'));
    if (served) return `playlist ${rel} names a key by ${served}`;
    const refs = [...text.split('\n').filter((l) => l && !l.startsWith('#')), ...[...text.matchAll(/#EXT-X-MAP:URI="([^"]+)"/g)].map((m) => m[1])];
    for (const seg of refs) {
      const head = await fetch(new URL(seg, url), { method: 'HEAD' });
      if (!head.ok) return `segment ${seg} of ${rel} answers ${head.status}`;
    }
  }
  return undefined;
}

async function eventuallyTrue(check: () => boolean, timeoutMs: number): Promise<void> {
  await eventually(() => {
    if (!check()) throw new Error('not yet');
  }, timeoutMs);
}

async function eventually(check: () => unknown, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Live processes whose command line names one of these directories (pid: command line). */
function processesUsing(dirs: readonly string[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue; // gone meanwhile
    }
    if (dirs.some((d) => cmdline.includes(d))) found.push(`${pid}: ${cmdline.slice(0, 200)}`);
  }
  return found;
}

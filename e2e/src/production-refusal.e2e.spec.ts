import { spawn } from 'node:child_process';
import { deploymentEnv, generateLocalKeys, keyEnv, serviceEntry, ServiceName, workspaceRoot } from '@airlock/devstack';

/**
 * Each built service, started as its own process with NODE_ENV=production and everything a
 * production install has (`npx airlock keys`) but one development default, exits at boot before
 * touching anything, naming that variable and only it.
 */
describe('production refuses development defaults at boot', () => {
  const root = workspaceRoot(__dirname);
  let production: Record<string, string>;
  let localKeys: Record<string, string>;

  beforeAll(async () => {
    production = { ...(await deploymentEnv()), NODE_ENV: 'production', LOG_LEVEL: 'silent' };
    localKeys = keyEnv(await generateLocalKeys());
  });

  /** Start `service` with exactly this environment; its exit code and stderr. */
  function boot(service: ServiceName, env: Record<string, string | undefined>): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [serviceEntry(root, service)], { cwd: root, env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    return new Promise((resolve) => child.on('exit', (code) => (clearTimeout(timer), resolve({ code, stderr }))));
  }

  /** The variables a refused boot names. */
  const named = (stderr: string) => [...stderr.matchAll(/^ {2}(\w+): /gm)].map((m) => m[1]).sort();

  it.each<[ServiceName, string, Record<string, string | undefined>, string[]]>([
    ['api', 'the development tenant key', { TENANT_KEYS: 'dev:airlock-dev-key' }, ['TENANT_KEYS']],
    ['api', 'no operator login', { ADMIN_USER: undefined, ADMIN_PASSWORD: undefined }, ['ADMIN_PASSWORD', 'ADMIN_USER']],
    ['api', 'the development operator password', { ADMIN_PASSWORD: 'airlock-admin' }, ['ADMIN_PASSWORD']],
    ['orchestrator', "the local store's credentials", { S3_ACCESS_KEY: 'S3RVER', S3_SECRET_KEY: 'S3RVER' }, ['S3_ACCESS_KEY', 'S3_SECRET_KEY']],
    ['verifier', 'no database', { DATABASE_URL: undefined }, ['DATABASE_URL']],
    ['manifester', 'no store secret', { S3_SECRET_KEY: undefined }, ['S3_SECRET_KEY']],
  ])('%s with %s exits naming it', async (service, _what, change, variables) => {
    const { code, stderr } = await boot(service, { ...production, ...change });
    expect(code).toBe(1);
    expect(stderr).toContain(`${service} failed to start`);
    expect(stderr).toContain('refused with NODE_ENV=production');
    expect(named(stderr)).toEqual(variables);
  });

  it('a worker and the api refuse the keys `airlock up` made for this machine', async () => {
    const worker = await boot('gpu-worker', { ...production, WORKER_SIGNING_JWK: localKeys['WORKER_SIGNING_JWK'] });
    expect(worker.code).toBe(1);
    expect(named(worker.stderr)).toEqual(['WORKER_SIGNING_JWK']);
    const api = await boot('api', { ...production, PIPELINE_PRIVATE_JWK: localKeys['PIPELINE_PRIVATE_JWK'] });
    expect(api.code).toBe(1);
    expect(named(api.stderr)).toEqual(['PIPELINE_PRIVATE_JWK']);
  });
});

import { randomUUID } from 'node:crypto';
import { generateX25519KeyPair, signJobToken, signVerifierToken, unwrapKey, wrapKey } from '@airlock/crypto';
import { DEFAULT_MEDIA_POLICY } from '@airlock/domain';
import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { ApiDeps } from '../api.deps';
import { ApiError } from '../http/api-error';
import { VerifierGrantService } from './verifier-grant.service';
import { apiTestDeps } from '../testing/api-test-app';

/** The verifier's own grant (deep checks) on real Postgres: only its key, only when the policy allows, output key only. */
describe('VerifierGrantService', () => {
  let env: IntegrationEnv;
  let deps: ApiDeps;
  const outputKey = new Uint8Array(16).fill(5);

  beforeAll(async () => {
    env = await startIntegrationEnv('verifier-grants');
    deps = apiTestDeps(env);
    await env.db.tenant.create({ data: { id: 't1', name: 't1', apiKeyHash: randomUUID() } });
  });
  afterAll(() => env?.close());

  async function verifying(mayDecrypt: boolean) {
    const media = await env.db.media.create({ data: { ...mediaRow('t1', 'verifying'), outputKeyJwe: await wrapKey(outputKey, deps.pipelineKey.publicJwk) } });
    const job = await env.db.job.create({ data: { mediaId: media.id, state: 'packaging', policy: { ...DEFAULT_MEDIA_POLICY, verifier_may_decrypt: mayDecrypt } } });
    return { mediaId: media.id, jobId: job.id, verifyJob: `verify__${job.id}` };
  }

  const code = (p: Promise<unknown>) => p.then(() => 'granted', (e: unknown) => (e instanceof ApiError ? `${e.getStatus()} ${e.code}` : String(e)));

  it('hands the output key, wrapped to the verifier alone, when the policy allows', async () => {
    const claims = await verifying(true);
    const ephemeral = await generateX25519KeyPair();
    const granted = await new VerifierGrantService(deps).exchange(await signVerifierToken(claims, env.keys.verifierPrivateJwk, 60), ephemeral.publicJwk);
    expect(Buffer.from(await unwrapKey(granted.outputKeyJwe, ephemeral.privateJwk))).toEqual(Buffer.from(outputKey));
    expect(granted).not.toHaveProperty('contentKeyJwe');
    expect((await env.db.event.findMany({ where: { mediaId: claims.mediaId } })).map((e) => e.type)).toContain('verifier_grant_issued');
  });

  it("refuses when the policy does not allow it, a worker's token, and an api without verifier keys", async () => {
    const service = new VerifierGrantService(deps);
    const jwk = (await generateX25519KeyPair()).publicJwk;
    const forbidden = await verifying(false);
    expect(await code(service.exchange(await signVerifierToken(forbidden, env.keys.verifierPrivateJwk, 60), jwk))).toBe('403 policy_forbids');
    const allowed = await verifying(true);
    const workerToken = await signJobToken({ workerId: 'w1', attemptId: randomUUID(), mediaId: allowed.mediaId, jobId: allowed.jobId, taskId: randomUUID() }, env.keys.workerPrivateJwk, 60);
    expect(await code(service.exchange(workerToken, jwk))).toBe('401 token_invalid');
    expect(await code(service.exchange(await signVerifierToken(allowed, env.keys.workerPrivateJwk, 60), jwk))).toBe('401 token_invalid');
    const closed = new VerifierGrantService({ ...deps, config: { ...deps.config, VERIFIER_PUBLIC_JWKS: undefined } });
    expect(await code(closed.exchange(await signVerifierToken(allowed, env.keys.verifierPrivateJwk, 60), jwk))).toBe('403 verifier_grants_disabled');
  });
});

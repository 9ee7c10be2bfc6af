import { productionSecretProblem, SecretVariable } from '@airlock/config';
import { generateDeploymentKeys, generateLocalKeys, keyEnv, keyEnvFor } from './local-keys';

describe('keys per service', () => {
  it('gives the api the pipeline key and public keys, workers the fleet key, the verifier its own key and the fleet public keys, others nothing', async () => {
    const keys = await generateLocalKeys();
    expect(Object.keys(keyEnvFor('api', keys)).sort()).toEqual(['PIPELINE_PRIVATE_JWK', 'VERIFIER_PUBLIC_JWKS', 'WORKER_PUBLIC_JWKS']);
    expect(Object.keys(keyEnvFor('gpu-worker', keys))).toEqual(['WORKER_SIGNING_JWK']);
    expect(Object.keys(keyEnvFor('verifier', keys)).sort()).toEqual(['VERIFIER_SIGNING_JWK', 'WORKER_PUBLIC_JWKS']);
    expect(JSON.parse(keyEnvFor('verifier', keys)['WORKER_PUBLIC_JWKS'])[0].d).toBeUndefined();
    for (const s of ['orchestrator', 'manifester']) expect(keyEnvFor(s, keys)).toEqual({});
    expect(JSON.parse(keyEnvFor('api', keys)['WORKER_PUBLIC_JWKS'])[0].d).toBeUndefined();
    expect(Object.keys(keyEnv(keys)).sort()).toEqual(['PIPELINE_PRIVATE_JWK', 'VERIFIER_PUBLIC_JWKS', 'VERIFIER_SIGNING_JWK', 'WORKER_PUBLIC_JWKS', 'WORKER_SIGNING_JWK']);
  });
});

describe('local and deployment keys', () => {
  it('marks local keys so production refuses them, and deployment keys not', async () => {
    const local = keyEnv(await generateLocalKeys());
    const deployed = keyEnv(await generateDeploymentKeys(new Date('2026-12-07T20:00:00Z')));
    for (const [name, value] of Object.entries(local)) expect(productionSecretProblem(name as SecretVariable, JSON.parse(value))).toMatch(/local development key/);
    for (const [name, value] of Object.entries(deployed)) expect(productionSecretProblem(name as SecretVariable, JSON.parse(value))).toBeUndefined();
    expect(JSON.parse(deployed['PIPELINE_PRIVATE_JWK']).kid).toMatch(/^pipeline-20261207-[0-9a-f]{6}$/);
  });
});

import { generateLocalKeys, keyEnv, keyEnvFor } from './local-keys';

describe('keys per service', () => {
  it('gives the api the pipeline key and fleet public keys, workers the signing key, others nothing', async () => {
    const keys = await generateLocalKeys();
    expect(Object.keys(keyEnvFor('api', keys)).sort()).toEqual(['PIPELINE_PRIVATE_JWK', 'WORKER_PUBLIC_JWKS']);
    expect(Object.keys(keyEnvFor('gpu-worker', keys))).toEqual(['WORKER_SIGNING_JWK']);
    for (const s of ['orchestrator', 'verifier', 'manifester']) expect(keyEnvFor(s, keys)).toEqual({});
    expect(JSON.parse(keyEnvFor('api', keys)['WORKER_PUBLIC_JWKS'])[0].d).toBeUndefined();
    expect(Object.keys(keyEnv(keys)).sort()).toEqual(['PIPELINE_PRIVATE_JWK', 'WORKER_PUBLIC_JWKS', 'WORKER_SIGNING_JWK']);
  });
});

import { z } from 'zod';
import { ConfigError, loadEnv } from './env.loader';
import { productionSecretProblem } from './production-secrets';
import { apiEnvSchema, manifesterEnvSchema, orchestratorEnvSchema, verifierEnvSchema, workerEnvSchema } from './service.config';

const jwk = (kid: string) => JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'x', d: 'd', kid });
const jwks = (kid: string) => JSON.stringify([{ kty: 'OKP', crv: 'Ed25519', x: 'x', kid }]);

/** What `npx airlock keys > .env` gives a production install (every secret its own). */
const PRODUCTION: NodeJS.ProcessEnv = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://postgres:9f3c2a71d0b84e65a1c7@db:5432/airlock',
  S3_ACCESS_KEY: 'airlock-7c1e0f2a',
  S3_SECRET_KEY: 'b1d9e3f7a2c64e0b9d5f8a3c',
  TENANT_KEYS: 'acme:Zx8v2L0qT4mN7pR1sW5yB3cD',
  ADMIN_USER: 'operator-4f2a',
  ADMIN_PASSWORD: 'Qm3v9T1xK7pL2sD8wZ5n',
  PIPELINE_PRIVATE_JWK: jwk('pipeline-20261207-ab12'),
  WORKER_PUBLIC_JWKS: jwks('fleet-20261207-ab12'),
  VERIFIER_PUBLIC_JWKS: jwks('verifier-20261207-ab12'),
  WORKER_SIGNING_JWK: jwk('fleet-20261207-ab12'),
  VERIFIER_SIGNING_JWK: jwk('verifier-20261207-ab12'),
};

/** The variables the ConfigError names, or [] when `env` is accepted. */
function refused(schema: z.ZodObject, env: NodeJS.ProcessEnv): string[] {
  try {
    loadEnv(schema, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [...error.message.matchAll(/^ {2}(\w+): /gm)].map((m) => m[1]).sort();
  }
}

describe('production refuses development secrets', () => {
  it('accepts every service with its own secrets', () => {
    for (const schema of [apiEnvSchema, orchestratorEnvSchema, workerEnvSchema, verifierEnvSchema, manifesterEnvSchema]) expect(refused(schema, PRODUCTION)).toEqual([]);
  });

  it('refuses each secret left unset, naming it, for the services that read it', () => {
    const keysOnly = { NODE_ENV: 'production', PIPELINE_PRIVATE_JWK: PRODUCTION['PIPELINE_PRIVATE_JWK'], WORKER_PUBLIC_JWKS: PRODUCTION['WORKER_PUBLIC_JWKS'], WORKER_SIGNING_JWK: PRODUCTION['WORKER_SIGNING_JWK'] };
    expect(refused(apiEnvSchema, keysOnly)).toEqual(['ADMIN_PASSWORD', 'ADMIN_USER', 'DATABASE_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'TENANT_KEYS']);
    expect(refused(orchestratorEnvSchema, keysOnly)).toEqual(['DATABASE_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY']);
    expect(refused(verifierEnvSchema, keysOnly)).toEqual(['DATABASE_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY']);
    expect(refused(manifesterEnvSchema, keysOnly)).toEqual(['S3_ACCESS_KEY', 'S3_SECRET_KEY']);
    // Workers hold no storage or database credentials (grants only): nothing of theirs has a default.
    expect(refused(workerEnvSchema, keysOnly)).toEqual([]);
  });

  it('lists every problem in one boot, the missing keys with the development defaults', () => {
    expect(refused(apiEnvSchema, { NODE_ENV: 'production' })).toEqual(['ADMIN_PASSWORD', 'ADMIN_USER', 'DATABASE_URL', 'PIPELINE_PRIVATE_JWK', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'TENANT_KEYS', 'WORKER_PUBLIC_JWKS']);
  });

  it.each([
    ['TENANT_KEYS', 'dev:airlock-dev-key'],
    ['TENANT_KEYS', 'acme:Zx8v2L0qT4mN7pR1sW5yB3cD,dev:airlock-dev-key'],
    ['TENANT_KEYS', 'acme:short-key'],
    ['ADMIN_USER', 'admin'],
    ['ADMIN_PASSWORD', 'airlock-admin'],
    ['ADMIN_PASSWORD', 'eight-ch'],
    ['SUPPORT_PASSWORD', 'airlock-admin'],
    ['S3_ACCESS_KEY', 'S3RVER'],
    ['S3_SECRET_KEY', 'S3RVER'],
    ['S3_SECRET_KEY', 'airlock-secret'],
    ['DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/airlock'],
    ['DATABASE_URL', 'postgresql://postgres:airlock@postgres:5432/airlock'],
    ['PIPELINE_PRIVATE_JWK', jwk('pipeline-local')],
    ['WORKER_PUBLIC_JWKS', jwks('fleet-local')],
    ['VERIFIER_PUBLIC_JWKS', jwks('verifier-local')],
  ])('api: %s=%s is refused, named', (name, value) => {
    expect(refused(apiEnvSchema, { ...PRODUCTION, SUPPORT_USER: 'support', [name]: value })).toEqual([name]);
  });

  it('refuses the local keys in the worker and the verifier too', () => {
    expect(refused(workerEnvSchema, { ...PRODUCTION, WORKER_SIGNING_JWK: jwk('fleet-local') })).toEqual(['WORKER_SIGNING_JWK']);
    expect(refused(verifierEnvSchema, { ...PRODUCTION, WORKER_PUBLIC_JWKS: jwks('fleet-local'), VERIFIER_SIGNING_JWK: jwk('verifier-local') })).toEqual(['VERIFIER_SIGNING_JWK', 'WORKER_PUBLIC_JWKS']);
  });

  it('says why, and that production is the reason', () => {
    expect(() => loadEnv(apiEnvSchema, { ...PRODUCTION, TENANT_KEYS: 'dev:airlock-dev-key' })).toThrow(/TENANT_KEYS: unset or holding a development key \(airlock-dev-key\).*refused with NODE_ENV=production/);
  });

  it('keeps the development defaults outside production', () => {
    const local = { PIPELINE_PRIVATE_JWK: jwk('pipeline-local'), WORKER_PUBLIC_JWKS: jwks('fleet-local'), WORKER_SIGNING_JWK: jwk('fleet-local') };
    for (const NODE_ENV of [undefined, 'development', 'test']) {
      expect(loadEnv(apiEnvSchema, { ...local, NODE_ENV }).TENANT_KEYS).toBe('dev:airlock-dev-key');
      expect(refused(workerEnvSchema, { ...local, NODE_ENV })).toEqual([]);
    }
  });

  it('leaves optional secrets unset', () => {
    expect(productionSecretProblem('SUPPORT_PASSWORD', undefined)).toBeUndefined();
    expect(productionSecretProblem('VERIFIER_SIGNING_JWK', undefined)).toBeUndefined();
  });
});

import { apiEnvSchema, loadEnv, manifesterEnvSchema, orchestratorEnvSchema, verifierEnvSchema, workerEnvSchema } from '@airlock/config';
import { deploymentEnv } from './deployment-secrets';

describe('npx airlock keys', () => {
  it('gives a production install every secret it needs, none of them a development default', async () => {
    const env: Record<string, string> = { ...(await deploymentEnv()), NODE_ENV: 'production' };
    for (const schema of [apiEnvSchema, orchestratorEnvSchema, workerEnvSchema, verifierEnvSchema, manifesterEnvSchema]) expect(() => loadEnv(schema, env)).not.toThrow();
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['TENANT_KEYS', 'ADMIN_USER', 'ADMIN_PASSWORD', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'POSTGRES_PASSWORD', 'DATABASE_URL', 'PIPELINE_PRIVATE_JWK']));
    expect(env['DATABASE_URL']).toContain(`:${env['POSTGRES_PASSWORD']}@`);
  });

  it('is random each time, and fits single quotes in a .env file', async () => {
    const [a, b] = [await deploymentEnv(), await deploymentEnv()];
    for (const name of ['TENANT_KEYS', 'ADMIN_PASSWORD', 'S3_SECRET_KEY', 'POSTGRES_PASSWORD']) expect(a[name]).not.toBe(b[name]);
    for (const value of Object.values(a)) expect(value).not.toMatch(/['\n]/);
  });
});

import { apiEnvSchema, orchestratorEnvSchema } from './service.config';
import { webhookTargetPolicyFrom } from './edge-protection.config';

/** The problems a schema finds in `env`, by variable. */
function problems(schema: typeof apiEnvSchema | typeof orchestratorEnvSchema, env: Record<string, string>): string[] {
  const result = schema.safeParse({ PIPELINE_PRIVATE_JWK: '{"kty":"OKP"}', WORKER_PUBLIC_JWKS: '[{"kty":"OKP"}]', ...env });
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
}

describe('edge protection settings', () => {
  it('refuses the private-target switch in production, in both services that judge targets', () => {
    for (const schema of [apiEnvSchema, orchestratorEnvSchema]) {
      expect(problems(schema, { NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })).toContain('WEBHOOK_ALLOW_PRIVATE_TARGETS');
      expect(problems(schema, { NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' })).not.toContain('WEBHOOK_ALLOW_PRIVATE_TARGETS');
      expect(problems(schema, { NODE_ENV: 'development', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })).toEqual([]);
    }
  });

  it('defaults to no private targets, https in production, and rate limits on', () => {
    const dev = apiEnvSchema.parse({ PIPELINE_PRIVATE_JWK: '{"kty":"OKP"}', WORKER_PUBLIC_JWKS: '[{"kty":"OKP"}]' });
    expect(webhookTargetPolicyFrom(dev)).toEqual({ allowPrivate: false, requireHttps: false });
    expect(webhookTargetPolicyFrom({ NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_TARGETS: false })).toEqual({ allowPrivate: false, requireHttps: true });
    expect(dev).toMatchObject({ RATE_LIMIT_ENABLED: true, RATE_LIMIT_WINDOW_SEC: 10, RATE_LIMIT_PER_TENANT: 1000, RATE_LIMIT_PER_ADDRESS: 1000, RATE_LIMIT_PER_WORKER: 2000, TRUST_PROXY_HOPS: 0 });
  });
});

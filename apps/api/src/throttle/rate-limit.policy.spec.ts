import { rateLimitScopeOf } from './rate-limit.policy';

describe('rateLimitScopeOf', () => {
  it.each([
    ['/v1/grants', 'worker'],
    ['/v1/grants/5b8f0c3e-0000-4000-8000-000000000000/uploads', 'worker'],
    ['/v1/grants/x/heartbeat', 'worker'],
    ['/V1/GRANTS/', 'worker'],
    ['/v1/verifier-grants', 'verifier'],
    ['/v1/media', 'tenant'],
    ['/v1/media/abc/timeline', 'tenant'],
    ['/v1/webhook-endpoint', 'tenant'],
    ['/v1/grantsx', 'tenant'],
    ['/v1/keys', 'address'],
    ['/admin/dead-letters/1/redrive', 'address'],
    ['/health', 'none'],
    ['/ready', 'none'],
    ['/metrics', 'none'],
    ['/docs/openapi.json', 'none'],
  ])('%s -> %s', (path, scope) => {
    expect(rateLimitScopeOf(path)).toBe(scope);
  });
});

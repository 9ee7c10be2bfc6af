import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MEDIA_POLICY } from '@airlock/domain';
import { ConfigError } from './env.loader';
import { loadTenantPolicies } from './tenant-policies';

describe('loadTenantPolicies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-policies-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, body: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
    return path;
  };

  it('gives every tenant the defaults without a file', () => {
    expect(loadTenantPolicies(undefined)('anyone')).toEqual(DEFAULT_MEDIA_POLICY);
    expect(DEFAULT_MEDIA_POLICY.plaintext_allowed).toBe(false);
  });

  it('loads the committed example: tenant entries override the default field by field', () => {
    const lookup = loadTenantPolicies(join(__dirname, '../../../../config/tenant-policies.example.json'));
    expect(lookup('small-chat-app')).toMatchObject({ max_duration_sec: 300, allowed_profiles: ['240p', '360p', '720p'], worker_key_ttl_seconds: 600 });
    expect(lookup('someone-else').max_duration_sec).toBe(3600);
  });

  it('names the bad field and refuses a plaintext mode', () => {
    expect(() => loadTenantPolicies(file('a.json', { tenants: { t: { max_pixels: -1 } } }))).toThrow(/TENANT_POLICIES_FILE: tenants\.t\.max_pixels/);
    expect(() => loadTenantPolicies(file('b.json', { default: { plaintext_allowed: true } }))).toThrow(/plaintext mode is not supported/);
    expect(() => loadTenantPolicies(file('c.json', { default: { allowed_profiles: ['9000p'] } }))).toThrow(ConfigError);
    expect(() => loadTenantPolicies(file('d.json', '{ not json'))).toThrow(/cannot read .* as JSON/);
  });
});

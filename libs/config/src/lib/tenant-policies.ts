import { readFileSync } from 'node:fs';
import { DEFAULT_MEDIA_POLICY, PolicyLookup, policyLookup } from '@airlock/domain';
import { ConfigError } from './env.loader';

/** Tenant media policies from a JSON file (`TENANT_POLICIES_FILE`), validated once at boot. */
export function loadTenantPolicies(file: string | undefined): PolicyLookup {
  if (!file) return () => DEFAULT_MEDIA_POLICY;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`TENANT_POLICIES_FILE: cannot read ${file} as JSON (${(e as Error).message})`);
  }
  try {
    return policyLookup(raw);
  } catch (e) {
    const issues = (e as { issues?: { path: (string | number)[]; message: string }[] }).issues;
    const detail = issues?.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') ?? (e as Error).message;
    throw new ConfigError(`TENANT_POLICIES_FILE: ${detail}`);
  }
}

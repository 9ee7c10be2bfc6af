import { z } from 'zod';
import published from './development-secrets.json';

/** Every secret a service may read; each service names the ones it uses. */
export type SecretVariable =
  | 'DATABASE_URL'
  | 'S3_ACCESS_KEY'
  | 'S3_SECRET_KEY'
  | 'TENANT_KEYS'
  | 'ADMIN_USER'
  | 'ADMIN_PASSWORD'
  | 'SUPPORT_PASSWORD'
  | 'PIPELINE_PRIVATE_JWK'
  | 'WORKER_PUBLIC_JWKS'
  | 'VERIFIER_PUBLIC_JWKS'
  | 'WORKER_SIGNING_JWK'
  | 'VERIFIER_SIGNING_JWK';

/** The local default (trust auth on this machine): production names its own database. */
export const LOCAL_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/airlock';

/** `airlock up` marks the keys it makes for this machine; production refuses them. */
export const LOCAL_KEY_ID_SUFFIX = published.localKeyIdSuffix;

/** Shorter API keys and passwords are guessable; `npx airlock keys` makes 32 random characters. */
export const MIN_PRODUCTION_SECRET_LENGTH = 16;

const PUBLISHED = new Set(published.values);

/** Why `value` cannot be `name` in production, or undefined when it can. */
export function productionSecretProblem(name: SecretVariable, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  switch (name) {
    case 'DATABASE_URL': {
      if (value === LOCAL_DATABASE_URL) return 'unset or the local default: production names its own database (with its credentials)';
      return PUBLISHED.has(passwordOf(String(value))) ? 'its password is a development default' : undefined;
    }
    case 'S3_ACCESS_KEY':
    case 'S3_SECRET_KEY':
      return PUBLISHED.has(String(value)) ? `unset or a development default (${String(value)}): production needs the store's own credentials` : undefined;
    case 'TENANT_KEYS': {
      const keys = String(value).split(',').map((e) => e.slice(e.indexOf(':') + 1).trim()).filter(Boolean);
      if (keys.some((k) => PUBLISHED.has(k))) return 'unset or holding a development key (airlock-dev-key): production needs its own tenant keys';
      return keys.some((k) => k.length < MIN_PRODUCTION_SECRET_LENGTH) ? `every API key needs at least ${MIN_PRODUCTION_SECRET_LENGTH} characters` : undefined;
    }
    case 'ADMIN_USER':
      return published.adminUsers.includes(String(value)) ? `unset or the development default (${String(value)}): production names its own operator` : undefined;
    case 'ADMIN_PASSWORD':
    case 'SUPPORT_PASSWORD': {
      if (PUBLISHED.has(String(value))) return 'unset or a development default: production needs its own password';
      return String(value).length < MIN_PRODUCTION_SECRET_LENGTH ? `needs at least ${MIN_PRODUCTION_SECRET_LENGTH} characters` : undefined;
    }
    case 'PIPELINE_PRIVATE_JWK':
    case 'WORKER_PUBLIC_JWKS':
    case 'VERIFIER_PUBLIC_JWKS':
    case 'WORKER_SIGNING_JWK':
    case 'VERIFIER_SIGNING_JWK': {
      const local = (Array.isArray(value) ? value : [value]).map(kidOf).filter((kid) => kid.endsWith(LOCAL_KEY_ID_SUFFIX));
      return local.length ? `holds a local development key (kid ${local.join(', ')}): production uses keys from \`npx airlock keys\` or its own` : undefined;
    }
  }
}

/**
 * The production-refusal rule, added to a service's env schema with the secrets it reads: with
 * NODE_ENV=production, a secret left unset (its default is a development value) or set to a
 * published development value stops the boot, naming the variable. It runs even when other
 * variables are bad, so one boot lists every problem.
 */
export function refuseDevelopmentSecrets(names: readonly SecretVariable[]) {
  return z.superRefine<{ NODE_ENV: string } & Partial<Record<SecretVariable, unknown>>>(
    (env, ctx) => {
      if (env.NODE_ENV !== 'production') return;
      for (const name of names) {
        const problem = productionSecretProblem(name, env[name]);
        if (problem) ctx.addIssue({ code: 'custom', path: [name], message: `${problem} (refused with NODE_ENV=production)` });
      }
    },
    { when: () => true },
  );
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

function kidOf(jwk: unknown): string {
  const kid = jwk && typeof jwk === 'object' ? (jwk as { kid?: unknown }).kid : undefined;
  return typeof kid === 'string' ? kid : '';
}

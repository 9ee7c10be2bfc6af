import { randomBytes } from 'node:crypto';
import { generateDeploymentKeys, keyEnv } from './local-keys';

/**
 * The credentials a compose or Kubernetes install needs besides its keys, each random, for
 * `npx airlock keys > .env`: the tenant key, the operator login, the store's root credentials
 * (MinIO's and the services'), and Postgres's password with the URL built on it. Production
 * refuses the development values these replace (libs/config production-secrets.ts).
 */
export function deploymentSecrets(random: (bytes: number) => Buffer = randomBytes): Record<string, string> {
  const secret = () => random(24).toString('base64url');
  const postgresPassword = random(18).toString('hex');
  return {
    TENANT_KEYS: `default:${secret()}`,
    ADMIN_USER: `operator-${random(3).toString('hex')}`,
    ADMIN_PASSWORD: secret(),
    S3_ACCESS_KEY: `airlock-${random(4).toString('hex')}`,
    S3_SECRET_KEY: secret(),
    POSTGRES_PASSWORD: postgresPassword,
    DATABASE_URL: `postgresql://postgres:${postgresPassword}@postgres:5432/airlock`,
  };
}

/** Everything `npx airlock keys` prints: the keys, then the other credentials. */
export async function deploymentEnv(): Promise<Record<string, string>> {
  return { ...keyEnv(await generateDeploymentKeys()), ...deploymentSecrets() };
}

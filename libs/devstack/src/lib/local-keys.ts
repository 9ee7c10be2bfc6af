import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JWK } from 'jose';
import { LOCAL_KEY_ID_SUFFIX } from '@airlock/config';
import { generateSigningKeyPair, generateX25519KeyPair } from '@airlock/crypto';

export interface LocalKeys {
  readonly pipelinePrivateJwk: JWK;
  readonly pipelinePublicJwk: JWK;
  readonly workerPrivateJwk: JWK;
  readonly workerPublicJwk: JWK;
  /** The verifier's own signing key (deep checks ask the api for a grant with it). */
  readonly verifierPrivateJwk: JWK;
  readonly verifierPublicJwk: JWK;
}

/** Keys for this machine (`airlock up`, tests): their key ids carry the local marker that production refuses. */
export function generateLocalKeys(): Promise<LocalKeys> {
  return generateKeySet(LOCAL_KEY_ID_SUFFIX);
}

/** Keys for a deployment (`npx airlock keys`): key ids dated and unique, never the local marker. */
export function generateDeploymentKeys(now = new Date()): Promise<LocalKeys> {
  return generateKeySet(`-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`);
}

async function generateKeySet(kidSuffix: string): Promise<LocalKeys> {
  const pipeline = await generateX25519KeyPair(`pipeline${kidSuffix}`);
  const worker = await generateSigningKeyPair(`fleet${kidSuffix}`);
  const verifier = await generateSigningKeyPair(`verifier${kidSuffix}`);
  return {
    pipelinePrivateJwk: pipeline.privateJwk,
    pipelinePublicJwk: pipeline.publicJwk,
    workerPrivateJwk: worker.privateJwk,
    workerPublicJwk: worker.publicJwk,
    verifierPrivateJwk: verifier.privateJwk,
    verifierPublicJwk: verifier.publicJwk,
  };
}

/** Local runs only: the key service's and the worker fleet's keys, kept in a 0600 file. Production injects secrets. */
export async function ensureLocalKeys(file: string): Promise<LocalKeys> {
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalKeys>) : {};
  // Keys added since the file was written are generated; the ones in it are kept.
  if (kept.verifierPrivateJwk) return kept as LocalKeys;
  const keys = { ...(await generateLocalKeys()), ...kept };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** Every key variable, for an operator's .env (docker compose hands each service only its own). */
export function keyEnv(keys: LocalKeys): Record<string, string> {
  return { ...keyEnvFor('api', keys), ...keyEnvFor('gpu-worker', keys), ...keyEnvFor('verifier', keys) };
}

/**
 * Only what each service needs: the api opens content keys and verifies job tokens; workers sign
 * job tokens and reports; the verifier checks report signatures (public keys only). No other
 * service ever holds a key (the plaintext boundary, DESIGN section 2).
 */
export function keyEnvFor(service: string, keys: LocalKeys): Record<string, string> {
  switch (service) {
    case 'api':
      return {
        PIPELINE_PRIVATE_JWK: JSON.stringify(keys.pipelinePrivateJwk),
        WORKER_PUBLIC_JWKS: JSON.stringify([keys.workerPublicJwk]),
        VERIFIER_PUBLIC_JWKS: JSON.stringify([keys.verifierPublicJwk]),
      };
    case 'gpu-worker':
      return { WORKER_SIGNING_JWK: JSON.stringify(keys.workerPrivateJwk) };
    case 'verifier':
      return { WORKER_PUBLIC_JWKS: JSON.stringify([keys.workerPublicJwk]), VERIFIER_SIGNING_JWK: JSON.stringify(keys.verifierPrivateJwk) };
    default:
      return {};
  }
}

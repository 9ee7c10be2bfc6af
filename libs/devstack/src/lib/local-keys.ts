import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JWK } from 'jose';
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

export async function generateLocalKeys(): Promise<LocalKeys> {
  const pipeline = await generateX25519KeyPair('pipeline-local');
  const worker = await generateSigningKeyPair('fleet-local');
  const verifier = await generateSigningKeyPair('verifier-local');
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

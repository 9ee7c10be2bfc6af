import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JWK } from 'jose';
import { generateSigningKeyPair, generateX25519KeyPair } from '@airlock/crypto';

export interface LocalKeys {
  readonly pipelinePrivateJwk: JWK;
  readonly pipelinePublicJwk: JWK;
  readonly workerPrivateJwk: JWK;
  readonly workerPublicJwk: JWK;
}

export async function generateLocalKeys(): Promise<LocalKeys> {
  const pipeline = await generateX25519KeyPair('pipeline-local');
  const worker = await generateSigningKeyPair('fleet-local');
  return { pipelinePrivateJwk: pipeline.privateJwk, pipelinePublicJwk: pipeline.publicJwk, workerPrivateJwk: worker.privateJwk, workerPublicJwk: worker.publicJwk };
}

/** Local runs only: the key service's and the worker fleet's keys, kept in a 0600 file. Production injects secrets. */
export async function ensureLocalKeys(file: string): Promise<LocalKeys> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalKeys;
  const keys = await generateLocalKeys();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** Every key variable, for an operator's .env (docker compose hands each service only its own). */
export function keyEnv(keys: LocalKeys): Record<string, string> {
  return { ...keyEnvFor('api', keys), ...keyEnvFor('gpu-worker', keys) };
}

/**
 * Only what each service needs: the api opens content keys and verifies job tokens; workers sign
 * job tokens. No other service ever holds a key (the plaintext boundary, DESIGN section 2).
 */
export function keyEnvFor(service: string, keys: LocalKeys): Record<string, string> {
  switch (service) {
    case 'api':
      return { PIPELINE_PRIVATE_JWK: JSON.stringify(keys.pipelinePrivateJwk), WORKER_PUBLIC_JWKS: JSON.stringify([keys.workerPublicJwk]) };
    case 'gpu-worker':
      return { WORKER_SIGNING_JWK: JSON.stringify(keys.workerPrivateJwk) };
    default:
      return {};
  }
}

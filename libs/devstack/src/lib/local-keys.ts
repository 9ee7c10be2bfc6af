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

/** The environment each service needs from those keys (each service ignores what it does not use). */
export function keyEnv(keys: LocalKeys): Record<string, string> {
  return {
    PIPELINE_PRIVATE_JWK: JSON.stringify(keys.pipelinePrivateJwk),
    WORKER_PUBLIC_JWKS: JSON.stringify([keys.workerPublicJwk]),
    WORKER_SIGNING_JWK: JSON.stringify(keys.workerPrivateJwk),
  };
}

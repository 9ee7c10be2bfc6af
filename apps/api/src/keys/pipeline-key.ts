import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JWK } from 'jose';
import { assertPublicX25519, generateX25519KeyPair, KeyPairJwk } from '@airlock/crypto';

/**
 * The key service's X25519 key: senders wrap content keys to its public half (`GET /v1/keys`);
 * only the api holds the private half, and only to re-wrap a key to a worker attempt's grant.
 * Production passes it in (`PIPELINE_PRIVATE_JWK`, from a secret); local runs keep one in a 0600 file.
 */
export async function loadPipelineKey(opts: { privateJwk?: string; file: string; allowGenerate: boolean }): Promise<KeyPairJwk> {
  if (opts.privateJwk) return fromPrivate(JSON.parse(opts.privateJwk) as JWK);
  if (existsSync(opts.file)) return fromPrivate(JSON.parse(readFileSync(opts.file, 'utf8')) as JWK);
  if (!opts.allowGenerate) throw new Error('PIPELINE_PRIVATE_JWK is required in production');
  const pair = await generateX25519KeyPair(`pipeline-${new Date().toISOString().slice(0, 10)}`);
  mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
  writeFileSync(opts.file, JSON.stringify(pair.privateJwk), { mode: 0o600 });
  return pair;
}

function fromPrivate(privateJwk: JWK): KeyPairJwk {
  if (privateJwk.kty !== 'OKP' || privateJwk.crv !== 'X25519' || typeof privateJwk.d !== 'string') {
    throw new Error('the pipeline key must be a private X25519 JWK');
  }
  const { d: _d, ...publicJwk } = privateJwk;
  assertPublicX25519(publicJwk);
  return { publicJwk, privateJwk };
}

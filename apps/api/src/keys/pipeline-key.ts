import type { JWK } from 'jose';
import { assertPublicX25519, KeyPairJwk } from '@airlock/crypto';

/**
 * The key service's X25519 key: senders wrap content keys to its public half (`GET /v1/keys`);
 * only the api holds the private half, and only to re-wrap a key to a worker attempt's grant.
 */
export function pipelineKeyFrom(jwk: object): KeyPairJwk {
  const privateJwk = jwk as JWK;
  if (privateJwk.kty !== 'OKP' || privateJwk.crv !== 'X25519' || typeof privateJwk.d !== 'string') {
    throw new Error('PIPELINE_PRIVATE_JWK must be a private X25519 JWK');
  }
  const { d: _d, ...publicJwk } = privateJwk;
  assertPublicX25519(publicJwk);
  return { publicJwk, privateJwk };
}

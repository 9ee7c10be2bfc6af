import { compactDecrypt, CompactEncrypt, exportJWK, generateKeyPair, importJWK, JWK } from 'jose';

/**
 * Content keys travel only as JWE: ECDH-ES+A256KW with X25519 to the holder's public key,
 * A256GCM for the payload. Only the private key's holder can unwrap.
 */
export const WRAP_ALG = 'ECDH-ES+A256KW';
export const WRAP_ENC = 'A256GCM';

export interface KeyPairJwk {
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
}

export class KeyWrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyWrapError';
  }
}

export async function generateX25519KeyPair(kid?: string): Promise<KeyPairJwk> {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), ...(kid ? { kid } : {}), alg: WRAP_ALG, use: 'enc' };
  const privateJwk = { ...(await exportJWK(privateKey)), ...(kid ? { kid } : {}), alg: WRAP_ALG, use: 'enc' };
  return { publicJwk, privateJwk };
}

/** A public JWK we accept to wrap keys to: X25519 only, no private part. */
export function assertPublicX25519(jwk: JWK): void {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'X25519' || typeof jwk.x !== 'string') throw new KeyWrapError('expected an X25519 public JWK (kty OKP, crv X25519)');
  if ('d' in jwk) throw new KeyWrapError('a private key was sent where a public key belongs');
}

export async function wrapKey(rawKey: Uint8Array, recipientPublicJwk: JWK): Promise<string> {
  assertPublicX25519(recipientPublicJwk);
  const key = await importJWK({ ...recipientPublicJwk, alg: WRAP_ALG }, WRAP_ALG);
  return new CompactEncrypt(rawKey)
    .setProtectedHeader({ alg: WRAP_ALG, enc: WRAP_ENC, ...(recipientPublicJwk.kid ? { kid: recipientPublicJwk.kid } : {}) })
    .encrypt(key);
}

export async function unwrapKey(jwe: string, privateJwk: JWK): Promise<Uint8Array> {
  const key = await importJWK({ ...privateJwk, alg: WRAP_ALG }, WRAP_ALG);
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, { keyManagementAlgorithms: [WRAP_ALG], contentEncryptionAlgorithms: [WRAP_ENC] });
    if (protectedHeader.alg !== WRAP_ALG) throw new KeyWrapError('unexpected JWE algorithm');
    return plaintext;
  } catch (e) {
    if (e instanceof KeyWrapError) throw e;
    throw new KeyWrapError('the wrapped key cannot be opened with this private key');
  }
}

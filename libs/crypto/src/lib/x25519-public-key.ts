import { createPublicKey, diffieHellman, generateKeyPairSync, KeyObject } from 'node:crypto';

/** A canonical base64url encoding of 32 bytes: 43 characters, the last carrying 4 zero bits. */
const X25519_X = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

let probe: KeyObject | undefined;

/**
 * Whether `x` is an X25519 public key that keys can be wrapped to. The shape is not enough:
 * any 32 bytes import, but a low-order point (0, 1, p, ...) makes every key agreement fail,
 * which would surface only later, in the middle of wrapping. So the check runs one agreement
 * with a throwaway key: the same operation a wrap does, synchronously, at the edge.
 */
export function isUsableX25519PublicKey(x: string): boolean {
  if (!X25519_X.test(x)) return false;
  try {
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
    probe ??= generateKeyPairSync('x25519').privateKey;
    diffieHellman({ privateKey: probe, publicKey });
    return true;
  } catch {
    return false;
  }
}

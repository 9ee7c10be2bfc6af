import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';

/**
 * Recipient key files: either a bare JWK, or the `{ id, publicJwk, privateJwk }` identity file
 * `airlock transcode` writes. Only the members needed are taken from them.
 */

interface KeyFile {
  readonly id?: string;
  readonly jwk: JWK;
}

function readKeyFile(path: string, want: 'publicJwk' | 'privateJwk'): KeyFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    // The message of a JSON error can quote file content: keep it out of the output.
    throw new Error(`${path} is not a readable JSON key file${e instanceof SyntaxError ? '' : `: ${(e as Error).message}`}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${path} is not a JWK`);
  const obj = parsed as Record<string, unknown>;
  const nested = obj[want];
  const jwk = (typeof nested === 'object' && nested !== null ? nested : obj) as JWK;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'X25519' || typeof jwk.x !== 'string') throw new Error(`${path} holds no X25519 JWK`);
  return { id: typeof obj['id'] === 'string' ? obj['id'] : undefined, jwk };
}

/** A recipient's public key (private members dropped) and the id the file names, if any. */
export function readPublicJwkFile(path: string): { id?: string; publicJwk: { kty: 'OKP'; crv: 'X25519'; x: string; kid?: string } } {
  const { id, jwk } = readKeyFile(path, 'publicJwk');
  return { id: id ?? jwk.kid, publicJwk: { kty: 'OKP', crv: 'X25519', x: jwk.x as string, ...(jwk.kid ? { kid: jwk.kid } : {}) } };
}

/** A recipient's private key and the id the file names, if any. */
export function readPrivateJwkFile(path: string): { id?: string; privateJwk: JWK } {
  const { id, jwk } = readKeyFile(path, 'privateJwk');
  if (typeof jwk.d !== 'string') throw new Error(`${path} holds no private key (no "d")`);
  return { id: id ?? jwk.kid, privateJwk: jwk };
}

import type { JWK } from 'jose';
import { VerifierGrantResponse } from '@airlock/contracts';
import { generateX25519KeyPair, signVerifierToken, unwrapKey, VerifierTokenClaims } from '@airlock/crypto';

/** Lifetime of the verifier's token (and so of its grant). */
const TOKEN_TTL_SEC = 300;

export class VerifierGrantRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/**
 * The verifier's side of its grant: a fresh X25519 key pair for this verify step alone, a token
 * signed with the verifier's key, and the media's output key unwrapped from the answer. The
 * caller zeroes the key when done.
 */
export async function acquireOutputKey(apiUrl: string, signingJwk: JWK, claims: VerifierTokenClaims): Promise<{ key: Uint8Array; keyId: string }> {
  const ephemeral = await generateX25519KeyPair();
  const token = await signVerifierToken(claims, signingJwk, TOKEN_TTL_SEC);
  const res = await fetch(new URL('/v1/verifier-grants', apiUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token, ephemeralPublicJwk: ephemeral.publicJwk }),
  });
  const json = (await res.json().catch(() => ({}))) as VerifierGrantResponse & { error?: { code?: string; message?: string } };
  if (!res.ok) throw new VerifierGrantRefused(json.error?.code ?? `http_${res.status}`, json.error?.message ?? res.statusText);
  return { key: await unwrapKey(json.outputKeyJwe, ephemeral.privateJwk), keyId: json.outputKeyId };
}

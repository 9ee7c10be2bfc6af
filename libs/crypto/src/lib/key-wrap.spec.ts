import { generateContentKey } from './chunked-cipher';
import { assertPublicX25519, generateX25519KeyPair, KeyWrapError, unwrapKey, wrapKey } from './key-wrap';

describe('JWE key wrapping (ECDH-ES+A256KW, X25519)', () => {
  it('wraps to a public JWK and only the matching private JWK unwraps', async () => {
    const recipient = await generateX25519KeyPair('recipient-1');
    const stranger = await generateX25519KeyPair();
    const key = await generateContentKey();
    const jwe = await wrapKey(key, recipient.publicJwk);
    expect(jwe.split('.')).toHaveLength(5);
    const header = JSON.parse(Buffer.from(jwe.split('.')[0], 'base64url').toString());
    expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'recipient-1' });
    expect(Buffer.compare(Buffer.from(await unwrapKey(jwe, recipient.privateJwk)), Buffer.from(key))).toBe(0);
    await expect(unwrapKey(jwe, stranger.privateJwk)).rejects.toThrow(KeyWrapError);
  });

  it('refuses keys that are not X25519 public keys', async () => {
    const pair = await generateX25519KeyPair();
    expect(() => assertPublicX25519(pair.privateJwk)).toThrow(/private key/);
    expect(() => assertPublicX25519({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' })).toThrow(/X25519/);
    await expect(wrapKey(await generateContentKey(), pair.privateJwk)).rejects.toThrow(KeyWrapError);
  });
});

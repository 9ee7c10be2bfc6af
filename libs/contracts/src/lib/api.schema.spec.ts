import { generateKeyPairSync } from 'node:crypto';
import { createMediaSchema, listMediaQuerySchema, publicJwkSchema } from './api.schema';

const realX = () => generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x as string;
const jwk = (x: string) => ({ kty: 'OKP', crv: 'X25519', x });

describe('api request schemas', () => {
  it('take a real X25519 public key', () => {
    expect(publicJwkSchema.safeParse(jwk(realX())).success).toBe(true);
  });

  it('refuse a key nothing can be wrapped to, before any use of it', () => {
    for (const x of ['A'.repeat(43), 'A'.repeat(42), `${realX()}A`, `${'A'.repeat(42)}B`, 'x'.repeat(50), '']) {
      expect(publicJwkSchema.safeParse(jwk(x)).error?.issues[0]?.path).toEqual(['x']);
    }
    expect(publicJwkSchema.safeParse({ ...jwk(realX()), d: realX() }).success).toBe(false);
  });

  it('refuse a NUL in a room id, in the body and in the query', () => {
    const body = {
      roomId: 'room\u0000',
      recipients: [{ id: 'r1', publicJwk: jwk(realX()) }],
      source: { sizeBytes: 1, sha256: 'a'.repeat(64), contentKeyJwe: 'a.b.c.d.e' },
    };
    expect(createMediaSchema.safeParse(body).error?.issues.map((i) => i.path)).toEqual([['roomId']]);
    expect(listMediaQuerySchema.safeParse({ roomId: '\u0000' }).success).toBe(false);
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { isUsableX25519PublicKey } from './x25519-public-key';

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

describe('isUsableX25519PublicKey', () => {
  it('accepts a real public key', () => {
    const x = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x as string;
    expect(isUsableX25519PublicKey(x)).toBe(true);
  });

  it('refuses the wrong length, alphabet or a non-canonical last character', () => {
    for (const x of ['', 'A'.repeat(42), 'A'.repeat(44), '!'.repeat(43), `${'A'.repeat(42)}B`, `${'A'.repeat(42)}=`, `${'A'.repeat(41)}==`]) {
      expect(isUsableX25519PublicKey(x)).toBe(false);
    }
  });

  it('refuses low-order points, which import but fail every key agreement', () => {
    for (const hex of [
      '00'.repeat(32),
      `01${'00'.repeat(31)}`,
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      `ed${'ff'.repeat(30)}7f`,
    ]) {
      expect(isUsableX25519PublicKey(b64(hex))).toBe(false);
    }
  });
});

import { generateContentKey, generateX25519KeyPair, unwrapKey, wrapKey } from '@airlock/crypto';
import { pipelineKeyFrom } from './pipeline-key';

describe('pipelineKeyFrom', () => {
  it('derives the public half (no d) that wraps keys the private half opens', async () => {
    const pair = await generateX25519KeyPair('pipeline-1');
    const key = pipelineKeyFrom(pair.privateJwk);
    expect(key.publicJwk.d).toBeUndefined();
    expect(key.publicJwk.kid).toBe('pipeline-1');
    const content = await generateContentKey();
    expect(Buffer.from(await unwrapKey(await wrapKey(content, key.publicJwk), key.privateJwk))).toEqual(Buffer.from(content));
  });

  it('refuses a public or non-X25519 key', () => {
    expect(() => pipelineKeyFrom({ kty: 'OKP', crv: 'X25519', x: 'abc' })).toThrow(/private X25519/);
    expect(() => pipelineKeyFrom({ kty: 'OKP', crv: 'Ed25519', x: 'abc', d: 'def' })).toThrow(/private X25519/);
  });
});

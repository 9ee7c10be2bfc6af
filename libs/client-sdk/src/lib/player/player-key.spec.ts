import { generateX25519KeyPair, wrapKey } from '@airlock/crypto';
import { outputKeyFor } from './player-key';
import { AirlockPlayerError } from './player-state';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

async function mediaFor(recipientId: string) {
  const pair = await generateX25519KeyPair(recipientId);
  return { pair, media: { keyId: 'ab'.repeat(16), keys: [{ recipientId, jwe: await wrapKey(KEY, pair.publicJwk) }] } };
}

const reasonOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: AirlockPlayerError) => e.reason);

describe('outputKeyFor', () => {
  it("unwraps the recipient's key in place and hands back a copy", async () => {
    const { pair, media } = await mediaFor('alice');
    expect(await outputKeyFor(media, { recipientId: 'alice', privateJwk: pair.privateJwk })).toEqual(KEY);
    const given = new Uint8Array(KEY);
    const copy = await outputKeyFor(media, { outputKey: given });
    copy.fill(0);
    expect(given).toEqual(KEY);
  });

  it('names a recipient not on the media, a key that does not unwrap, and an output key of the wrong size', async () => {
    const { media } = await mediaFor('alice');
    const mallory = await generateX25519KeyPair('mallory');
    expect(await reasonOf(outputKeyFor(media, { recipientId: 'mallory', privateJwk: mallory.privateJwk }))).toBe('not_a_recipient');
    expect(await reasonOf(outputKeyFor(media, { recipientId: 'alice', privateJwk: mallory.privateJwk }))).toBe('key_unwrap_failed');
    const broken = { ...media, keys: [{ recipientId: 'alice', jwe: 'not.a.jwe.at.all' }] };
    expect(await reasonOf(outputKeyFor(broken, { recipientId: 'alice', privateJwk: mallory.privateJwk }))).toBe('key_unwrap_failed');
    expect(await reasonOf(outputKeyFor(media, { outputKey: new Uint8Array(32) }))).toBe('key_wrong');
  });
});

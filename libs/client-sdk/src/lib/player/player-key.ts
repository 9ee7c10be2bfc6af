import type { JWK } from 'jose';
import { unwrapKey } from '@airlock/crypto';
import { AirlockPlayerError } from './player-state';

/** The key a player is given: the media's output key, or a recipient's private key to unwrap it with. */
export type PlayerKey = { outputKey: Uint8Array } | { recipientId: string; privateJwk: JWK };

/** The parts of a media view the key comes from. */
export interface WrappedKeys {
  readonly keyId: string;
  readonly keys: readonly { recipientId: string; jwe: string }[];
}

const OUTPUT_KEY_BYTES = 16;

/**
 * The media's 16-byte output key, as a fresh copy the caller zeroes when done. A recipient with no
 * wrapped key on the media is `not_a_recipient`; a wrapped key that does not open with the private
 * key (or opens to something that is not an AES-128 key) is `key_unwrap_failed`. The private key is
 * used here, in the page, and never sent anywhere.
 */
export async function outputKeyFor(media: WrappedKeys, key: PlayerKey): Promise<Uint8Array> {
  if ('outputKey' in key) {
    if (key.outputKey.length !== OUTPUT_KEY_BYTES) throw new AirlockPlayerError('key_wrong', `an output key is ${OUTPUT_KEY_BYTES} bytes, not ${key.outputKey.length}`);
    return new Uint8Array(key.outputKey);
  }
  const mine = media.keys.find((k) => k.recipientId === key.recipientId);
  if (!mine) throw new AirlockPlayerError('not_a_recipient', `recipient ${key.recipientId} has no key on this media`);
  let unwrapped: Uint8Array;
  try {
    unwrapped = await unwrapKey(mine.jwe, key.privateJwk);
  } catch (e) {
    throw new AirlockPlayerError('key_unwrap_failed', e instanceof Error ? e.message : String(e));
  }
  if (unwrapped.length !== OUTPUT_KEY_BYTES) {
    unwrapped.fill(0);
    throw new AirlockPlayerError('key_unwrap_failed', `the wrapped key is ${unwrapped.length} bytes, not ${OUTPUT_KEY_BYTES}`);
  }
  return unwrapped;
}

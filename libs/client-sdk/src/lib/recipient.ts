import { decryptChunks, deriveBlobKey } from '@airlock/crypto';

/** The recipient's output key, unwrapped with its private key (also what the player uses). */
export { outputKeyFor, type PlayerKey, type WrappedKeys } from './player/player-key';
export { AirlockPlayerError, type PlayerFailure } from './player/player-state';

/**
 * Open a sealed chat file (poster, animated preview, MP4) with the media's output key, as
 * bytes. Works in Node and the browser; large files can use `decryptChunks` as a stream.
 */
export async function openSealedFile(sealed: Uint8Array, outputKey: Uint8Array): Promise<Uint8Array> {
  const key = await deriveBlobKey(outputKey);
  try {
    const parts: Uint8Array[] = [];
    for await (const part of decryptChunks(key, once(sealed))) parts.push(part);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
    return out;
  } finally {
    key.fill(0);
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

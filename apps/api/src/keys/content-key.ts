import type { JWK } from 'jose';
import { KeyWrapError, unwrapKey, wrapKey } from '@airlock/crypto';
import { ApiError } from '../http/api-error';

/** Content keys are AES-256 (libs/crypto chunked-cipher): a worker can open nothing else. */
const CONTENT_KEY_BYTES = 32;

/**
 * At create: the sender's content key must open with the pipeline key and be an AES-256 key, or
 * every grant of the media would fail later. The key is held only for the check and zeroed.
 */
export async function assertContentKeyOpens(contentKeyJwe: string, pipelinePrivateJwk: JWK): Promise<void> {
  let key: Uint8Array;
  try {
    key = await unwrapKey(contentKeyJwe, pipelinePrivateJwk);
  } catch (e) {
    if (!(e instanceof KeyWrapError)) throw e;
    throw new ApiError(422, 'content_key_invalid', 'source.contentKeyJwe cannot be opened with the pipeline key from GET /v1/keys (wrap the content key to that key with ECDH-ES+A256KW and A256GCM).');
  }
  const length = key.length;
  key.fill(0);
  if (length !== CONTENT_KEY_BYTES) {
    throw new ApiError(422, 'content_key_invalid', `source.contentKeyJwe wraps a ${length}-byte key; content keys are ${CONTENT_KEY_BYTES} bytes (AES-256).`);
  }
}

/**
 * The grant exchange's key work: a key wrapped to the pipeline key, re-wrapped to one attempt's
 * ephemeral key, the raw key zeroed at once. A key the pipeline key cannot open (a media created
 * before the check above, or a pipeline key replaced without its predecessor) is a 409 with
 * `content_key_unavailable`, answered before the grant is recorded.
 */
export async function rewrapKey(jwe: string, pipelinePrivateJwk: JWK, to: JWK): Promise<string> {
  let key: Uint8Array;
  try {
    key = await unwrapKey(jwe, pipelinePrivateJwk);
  } catch (e) {
    if (!(e instanceof KeyWrapError)) throw e;
    throw new ApiError(409, 'content_key_unavailable', "The media's key cannot be opened with this api's pipeline key; no grant is given.");
  }
  try {
    return await wrapKey(key, to);
  } finally {
    key.fill(0);
  }
}

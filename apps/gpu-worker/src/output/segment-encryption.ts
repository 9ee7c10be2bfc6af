import { createHash } from 'node:crypto';
import { SegmentEncryption } from '@airlock/media';
import { AttemptGrant } from '../grants/grant-client';

/**
 * cbcs for recipients: the media's output key and key id, and a constant IV per rendition
 * (derived, so every chunk of a rendition and every retry produce identical bytes).
 */
export function segmentEncryption(grant: AttemptGrant, mediaId: string, rendition: string): SegmentEncryption {
  return {
    keyIdHex: grant.outputKeyId,
    keyHex: Buffer.from(grant.outputKey).toString('hex'),
    ivHex: createHash('sha256').update(`airlock-cbcs-iv/${mediaId}/${rendition}`).digest('hex').slice(0, 32),
  };
}

import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { decryptSegment, encryptSegment, hlsIvAttribute, parseSegmentKeyUri, SegmentDecryptError, segmentIv, segmentKeyUri } from './segment-cipher';

describe('segment cipher (HLS METHOD=AES-128)', () => {
  const key = randomBytes(16);
  const kid = 'ab'.repeat(16);

  it('is plain AES-128-CBC with PKCS#7 padding, as HLS players decrypt it', async () => {
    const clear = randomBytes(1000);
    const iv = await segmentIv(kid, '720p', 3);
    const cipher = await encryptSegment(clear, key, iv);
    const node = createCipheriv('aes-128-cbc', key, iv);
    expect(Buffer.from(cipher)).toEqual(Buffer.concat([node.update(clear), node.final()]));
    expect(cipher.length).toBe(1008);
    expect(Buffer.from(await decryptSegment(cipher, key, iv))).toEqual(clear);
  });

  it('derives each IV from key id, rendition and index: deterministic and distinct', async () => {
    const iv = await segmentIv(kid, '720p', -1);
    expect(Buffer.from(iv)).toEqual(createHash('sha256').update(`airlock-aes128-iv/${kid}/720p/-1`).digest().subarray(0, 16));
    const ivs = new Set<string>();
    for (const r of ['240p', '720p', 'audio']) for (let i = -1; i < 20; i++) ivs.add(hlsIvAttribute(await segmentIv(kid, r, i)));
    expect(ivs.size).toBe(63);
    expect(hlsIvAttribute(iv)).toMatch(/^0x[0-9a-f]{32}$/);
  });

  it('refuses a wrong key, a wrong IV or a cut object with SegmentDecryptError', async () => {
    const iv = await segmentIv(kid, '720p', 0);
    const cipher = await encryptSegment(randomBytes(4000), key, iv);
    await expect(decryptSegment(cipher, randomBytes(16), iv)).rejects.toBeInstanceOf(SegmentDecryptError);
    await expect(decryptSegment(cipher.subarray(0, 100), key, iv)).rejects.toBeInstanceOf(SegmentDecryptError);
  });

  it('names the key by a URI only the recipient app answers', () => {
    expect(segmentKeyUri('m_1', kid)).toBe(`airlock-key://m_1/${kid}`);
    expect(parseSegmentKeyUri(segmentKeyUri('m_1', kid))).toEqual({ mediaId: 'm_1', keyIdHex: kid });
    expect(parseSegmentKeyUri(`https://m_1/${kid}`)).toBeUndefined();
  });
});

import { encryptSegment, SegmentDecryptError, segmentIv } from '@airlock/crypto';
import { opensAsFmp4, storageKeys } from '@airlock/domain';
import { assertMpdKey, decryptSegmentAt, KeyNotHeldError, mpdSegmentKeyIds, SegmentPlaceError, WHOLE_SEGMENT_AES_SCHEME } from './segment-response';

const KID = '00112233445566778899aabbccddeeff';
const KEY = new Uint8Array(16).fill(9);
const SHA = 'c'.repeat(64);
const base = 'http://127.0.0.1:9000/bucket/';

/** An ISO-BMFF box: 32-bit size, type, body. */
function box(type: string, body: string | Uint8Array): Uint8Array {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const out = new Uint8Array(8 + bytes.length);
  new DataView(out.buffer).setUint32(0, out.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(bytes, 8);
  return out;
}

describe('decryptSegmentAt', () => {
  it('decrypts init and media segments with the IV their URL implies', async () => {
    const clear = box('ftyp', 'iso6');
    for (const [key, index] of [
      [storageKeys.initSegment('m1', '360p', SHA), -1],
      [storageKeys.mediaSegment('m1', 'audio', 4, SHA), 4],
    ] as const) {
      const rendition = key.split('/')[2];
      const cipher = await encryptSegment(clear, KEY, await segmentIv(KID, rendition, index));
      expect(await decryptSegmentAt(`${base}${key}?sig=1`, cipher, KEY, KID.toUpperCase())).toEqual({ clear, rendition, index });
    }
  });

  it('fails a wrong key, a segment at another place (wrong IV) and clear bytes that are not fMP4 with SegmentDecryptError, and an unknown URL shape with SegmentPlaceError', async () => {
    const url = base + storageKeys.mediaSegment('m1', '360p', 1, SHA);
    const cipher = await encryptSegment(box('moof', new Uint8Array(100)), KEY, await segmentIv(KID, '360p', 1));
    await expect(decryptSegmentAt(url, cipher, KEY, KID)).resolves.toMatchObject({ index: 1 });
    await expect(decryptSegmentAt(url, cipher, new Uint8Array(16).fill(1), KID)).rejects.toBeInstanceOf(SegmentDecryptError);
    // Another IV garbles only the first block (the padding stays valid): the box header no longer reads.
    await expect(decryptSegmentAt(base + storageKeys.mediaSegment('m1', '360p', 2, SHA), cipher, KEY, KID)).rejects.toBeInstanceOf(SegmentDecryptError);
    const notMp4 = await encryptSegment(new Uint8Array(100), KEY, await segmentIv(KID, '360p', 1));
    await expect(decryptSegmentAt(url, notMp4, KEY, KID)).rejects.toThrow(/not an fMP4 object/);
    await expect(decryptSegmentAt(`${base}seg/m1/360p/1.m4s`, cipher, KEY, KID)).rejects.toBeInstanceOf(SegmentPlaceError);
  });

  it('tells fMP4 objects from other bytes by their first box', () => {
    for (const type of ['ftyp', 'styp', 'moof', 'sidx']) expect(opensAsFmp4(box(type, ''))).toBe(true);
    expect(opensAsFmp4(box('mp3 ', 'x'))).toBe(false);
    expect(opensAsFmp4(new Uint8Array(7))).toBe(false);
  });
});

describe('MPD segment key', () => {
  const mpd = (value: string) => `<MPD><Period><AdaptationSet><SupplementalProperty schemeIdUri="${WHOLE_SEGMENT_AES_SCHEME}" value="${value}"/></AdaptationSet>
    <AdaptationSet><SupplementalProperty value="x" schemeIdUri="urn:other"/><SupplementalProperty schemeIdUri="${WHOLE_SEGMENT_AES_SCHEME}" value="${value}"/></AdaptationSet></Period></MPD>`;

  it('reads the key ids the MPD names, and accepts the held one or none', () => {
    expect(mpdSegmentKeyIds(mpd(KID.toUpperCase()))).toEqual([KID]);
    expect(mpdSegmentKeyIds('<MPD/>')).toEqual([]);
    expect(() => assertMpdKey(mpd(KID), KID)).not.toThrow();
    expect(() => assertMpdKey('<MPD/>', KID)).not.toThrow();
  });

  it('refuses an MPD under another key', () => {
    expect(() => assertMpdKey(mpd('f'.repeat(32)), KID)).toThrow(KeyNotHeldError);
  });
});

import { encryptSegment, SegmentDecryptError, segmentIv } from '@airlock/crypto';
import { storageKeys } from '@airlock/domain';
import { assertMpdKey, decryptSegmentAt, KeyNotHeldError, mpdSegmentKeyIds, SegmentPlaceError, WHOLE_SEGMENT_AES_SCHEME } from './segment-response';

const KID = '00112233445566778899aabbccddeeff';
const KEY = new Uint8Array(16).fill(9);
const SHA = 'c'.repeat(64);
const base = 'http://127.0.0.1:9000/bucket/';

describe('decryptSegmentAt', () => {
  it('decrypts init and media segments with the IV their URL implies', async () => {
    const clear = new TextEncoder().encode('ftyp and moov, or moof and mdat');
    for (const [key, index] of [
      [storageKeys.initSegment('m1', '360p', SHA), -1],
      [storageKeys.mediaSegment('m1', 'audio', 4, SHA), 4],
    ] as const) {
      const rendition = key.split('/')[2];
      const cipher = await encryptSegment(clear, KEY, await segmentIv(KID, rendition, index));
      expect(await decryptSegmentAt(`${base}${key}?sig=1`, cipher, KEY, KID.toUpperCase())).toEqual({ clear, rendition, index });
    }
  });

  it('fails a wrong key with SegmentDecryptError, and an unknown URL shape with SegmentPlaceError', async () => {
    const cipher = await encryptSegment(new Uint8Array(100), KEY, await segmentIv(KID, '360p', 1));
    const url = base + storageKeys.mediaSegment('m1', '360p', 1, SHA);
    await expect(decryptSegmentAt(url, cipher, new Uint8Array(16).fill(1), KID)).rejects.toBeInstanceOf(SegmentDecryptError);
    // A segment served at another place gets the wrong IV: CBC garbles only its first block, padding stays valid.
    const moved = await decryptSegmentAt(base + storageKeys.mediaSegment('m1', '360p', 2, SHA), cipher, KEY, KID);
    expect(moved.clear.subarray(0, 16)).not.toEqual(new Uint8Array(16));
    expect(moved.clear.subarray(16)).toEqual(new Uint8Array(84));
    await expect(decryptSegmentAt(`${base}seg/m1/360p/1.m4s`, cipher, KEY, KID)).rejects.toBeInstanceOf(SegmentPlaceError);
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

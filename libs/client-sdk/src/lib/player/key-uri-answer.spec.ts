import { segmentKeyUri } from '@airlock/crypto';
import { answerKeyUri } from './key-uri-answer';

const KID = '0123456789abcdef0123456789abcdef';
const held = { mediaId: 'm_1', keyIdHex: KID, key: new Uint8Array(16).fill(7) };

describe('answerKeyUri', () => {
  it('answers the URI of the held key with a copy of it', () => {
    const answer = answerKeyUri(segmentKeyUri('m_1', KID), held);
    expect(answer).toEqual(held.key);
    answer?.fill(0);
    expect(held.key[0]).toBe(7);
  });

  it('answers nothing for another media, another key, or another scheme', () => {
    expect(answerKeyUri(segmentKeyUri('m_2', KID), held)).toBeUndefined();
    expect(answerKeyUri(segmentKeyUri('m_1', 'f'.repeat(32)), held)).toBeUndefined();
    expect(answerKeyUri(`https://keys.example/m_1/${KID}`, held)).toBeUndefined();
    expect(answerKeyUri('data:text/plain;base64,AAAA', held)).toBeUndefined();
  });
});

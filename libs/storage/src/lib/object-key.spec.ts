import { assertKeyPrefix, assertObjectKey, keyPrefixProblem, objectKeyProblem } from './object-key';

describe('objectKeyProblem', () => {
  it.each([
    'src/0b6f3c1e-8a0e-4c38-9d52-0c1f1f3f7a11/' + 'a'.repeat(64),
    'seg/m1/240p/init-abc.mp4',
    'man/m1/v1/master.m3u8',
    'file/m1/poster-abc',
    'seg/m1/a..b/c.d',
  ])('accepts %s', (key) => {
    expect(objectKeyProblem(key)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['seg/../src/x', /'\.\.' segment/],
    ['..', /'\.\.' segment/],
    ['seg/./x', /'\.' segment/],
    ['seg//x', /empty segment/],
    ['/seg/x', /empty segment/],
    ['seg/x/', /empty segment/],
    ['seg\\..\\src', /backslash/],
    ['seg/x\u0000', /control character/],
    ['seg/x\ny', /control character/],
    ['s/' + 'x'.repeat(1024), /longer than 1024 bytes/],
  ])('refuses %j', (key, problem) => {
    expect(objectKeyProblem(key)).toMatch(problem);
    expect(() => assertObjectKey(key)).toThrow(problem);
  });

  it('takes listing prefixes with one trailing slash, or the whole bucket', () => {
    expect(keyPrefixProblem('seg/m1/')).toBeUndefined();
    expect(keyPrefixProblem('')).toBeUndefined();
    expect(keyPrefixProblem('seg/m1//')).toMatch(/empty segment/);
    expect(() => assertKeyPrefix('seg/../')).toThrow(/'\.\.' segment/);
  });
});

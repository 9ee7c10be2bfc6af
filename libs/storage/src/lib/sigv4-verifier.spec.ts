import { isSigned, SignedRequest, verifySigV4 } from './sigv4-verifier';

// The worked examples from AWS's "Signature Version 4" documentation for S3.
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const secretFor = (k: string) => (k === ACCESS_KEY ? SECRET : undefined);
const SIGNED_AT = Date.UTC(2013, 4, 24);
const host = { host: 'examplebucket.s3.amazonaws.com' };

const presigned: SignedRequest = {
  method: 'GET',
  rawUrl:
    '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
  headers: host,
};

const headerSigned: SignedRequest = {
  method: 'GET',
  rawUrl: '/test.txt',
  headers: {
    ...host,
    range: 'bytes=0-9',
    'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'x-amz-date': '20130524T000000Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  },
};

describe('verifySigV4', () => {
  it('accepts the documented presigned URL and header-signed request', () => {
    expect(verifySigV4(presigned, secretFor, SIGNED_AT + 60_000)).toEqual({ ok: true, accessKey: ACCESS_KEY });
    expect(verifySigV4(headerSigned, secretFor, SIGNED_AT + 60_000)).toEqual({ ok: true, accessKey: ACCESS_KEY });
  });

  it.each([
    ['another key', { ...presigned, rawUrl: presigned.rawUrl.replace('/test.txt', '/other.txt') }],
    ['another method', { ...presigned, method: 'PUT' }],
    ['another host', { ...presigned, headers: { host: 'evil.example' } }],
    ['a stretched expiry', { ...presigned, rawUrl: presigned.rawUrl.replace('X-Amz-Expires=86400', 'X-Amz-Expires=90000') }],
    ['a changed signed header', { ...headerSigned, headers: { ...headerSigned.headers, range: 'bytes=0-99' } }],
  ])('refuses a request bent to %s', (_case, req) => {
    expect(verifySigV4(req, secretFor, SIGNED_AT + 60_000)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('refuses an expired presigned URL and a header signature from a skewed clock', () => {
    expect(verifySigV4(presigned, secretFor, SIGNED_AT + 86_401_000)).toMatchObject({ ok: false, code: 'AccessDenied', message: 'Request has expired' });
    expect(verifySigV4(headerSigned, secretFor, SIGNED_AT + 16 * 60_000)).toMatchObject({ ok: false, code: 'AccessDenied' });
  });

  it('refuses unknown access keys, other algorithms and missing parts', () => {
    expect(verifySigV4(presigned, () => undefined, SIGNED_AT)).toMatchObject({ ok: false, code: 'InvalidAccessKeyId' });
    expect(verifySigV4({ ...headerSigned, headers: { ...headerSigned.headers, authorization: 'AWS AKIA:abc' } }, secretFor, SIGNED_AT)).toMatchObject({ ok: false, code: 'AccessDenied' });
    expect(verifySigV4({ ...presigned, rawUrl: presigned.rawUrl.replace(/&X-Amz-Signature=.*/, '') }, secretFor, SIGNED_AT)).toMatchObject({ ok: false, code: 'AccessDenied' });
  });

  it('refuses x-amz headers the signature does not cover (a presigned PUT cannot grow an x-amz-copy-source)', () => {
    const extra = { ...presigned, headers: { ...host, 'x-amz-copy-source': '/examplebucket/secret' } };
    expect(verifySigV4(extra, secretFor, SIGNED_AT + 60_000)).toMatchObject({ ok: false, code: 'AccessDenied', message: expect.stringContaining('x-amz-copy-source') });
  });

  it('tells signed requests from anonymous ones', () => {
    expect(isSigned(presigned)).toBe(true);
    expect(isSigned(headerSigned)).toBe(true);
    expect(isSigned({ method: 'GET', rawUrl: '/b/seg/x.m4s', headers: host })).toBe(false);
  });
});

import { scrub, scrubValue } from './scrub';

const PRESIGNED =
  'https://s3.example.com/airlock/src/m1/abc?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0123456789abcdef';

describe('scrub', () => {
  it('removes the query string of a presigned URL but keeps the path', () => {
    const out = scrub(`upload to ${PRESIGNED} failed`);

    expect(out).toBe('upload to https://s3.example.com/airlock/src/m1/abc?<redacted> failed');
    expect(out).not.toContain('X-Amz');
    expect(out).not.toContain('AKIAEXAMPLE');
  });

  it('removes query strings of every URL in the text, http and https', () => {
    const out = scrub('a http://127.0.0.1:9000/b/k?token=1 and "https://h/x?sig=2&e=3" end');

    expect(out).toBe('a http://127.0.0.1:9000/b/k?<redacted> and "https://h/x?<redacted>" end');
  });

  it('leaves URLs without a query string alone', () => {
    expect(scrub('see https://example.com/docs/page')).toBe('see https://example.com/docs/page');
  });

  it('removes a bare X-Amz-Signature and credential outside a URL', () => {
    const out = scrub('params: X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=deadbeef&X-Amz-Security-Token=tok123 x-amz-signature=cafe');

    expect(out).toBe(
      'params: X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted>&X-Amz-Security-Token=<redacted> x-amz-signature=<redacted>',
    );
  });

  it('removes bearer tokens', () => {
    const out = scrub('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-_~+/= next');

    expect(out).toBe('Authorization: Bearer <redacted> next');
    expect(out).not.toContain('eyJ');
  });

  it('leaves ordinary text untouched', () => {
    const text = 'segment 3 of 720p took 1.2 s (key seg/m1/720p/3-abc.m4s)';
    expect(scrub(text)).toBe(text);
  });

  it('is idempotent', () => {
    const once = scrub(`${PRESIGNED} Bearer abc`);
    expect(scrub(once)).toBe(once);
  });
});

describe('scrubValue', () => {
  it('redacts secret-looking keys whatever their value', () => {
    const out = scrubValue({
      authorization: 'Bearer abc',
      Authorization: 'Basic Zm9vOmJhcg==',
      contentKey: 'k'.repeat(32),
      url: 'https://example.com/plain',
      uploadUrl: PRESIGNED,
      password: 'hunter22',
      apiKey: 'dev-key',
      token: { nested: 'object' },
      mediaId: 'm1',
    });

    expect(out).toEqual({
      authorization: '<redacted>',
      Authorization: '<redacted>',
      contentKey: '<redacted>',
      url: '<redacted>',
      uploadUrl: '<redacted>',
      password: '<redacted>',
      apiKey: '<redacted>',
      token: '<redacted>',
      mediaId: 'm1',
    });
  });

  it('redacts by exact key name only', () => {
    expect(scrubValue({ sourceKey: 'src/m1/abc', urlCount: 3, keyframes: 12 })).toEqual({ sourceKey: 'src/m1/abc', urlCount: 3, keyframes: 12 });
  });

  it('scrubs strings in nested objects and arrays', () => {
    const out = scrubValue({
      job: { attempts: [{ error: `GET ${PRESIGNED} -> 403` }, ['Bearer xyz', 'plain', 7, null]] },
      headers: [{ authorization: 'Bearer abc' }],
    });

    expect(out).toEqual({
      job: { attempts: [{ error: 'GET https://s3.example.com/airlock/src/m1/abc?<redacted> -> 403' }, ['Bearer <redacted>', 'plain', 7, null]] },
      headers: [{ authorization: '<redacted>' }],
    });
  });

  it('scrubs a top-level string or array', () => {
    expect(scrubValue('Bearer abc')).toBe('Bearer <redacted>');
    expect(scrubValue([PRESIGNED, ['Bearer abc']])).toEqual(['https://s3.example.com/airlock/src/m1/abc?<redacted>', ['Bearer <redacted>']]);
  });

  it('turns errors into name and scrubbed message, without the stack', () => {
    const error = new TypeError(`fetch ${PRESIGNED} failed`);

    expect(scrubValue(error)).toEqual({ name: 'TypeError', message: 'fetch https://s3.example.com/airlock/src/m1/abc?<redacted> failed' });
    expect(scrubValue({ err: error })).toEqual({ err: { name: 'TypeError', message: expect.not.stringContaining('X-Amz') } });
  });

  it('passes primitives through', () => {
    expect(scrubValue(42)).toBe(42);
    expect(scrubValue(true)).toBe(true);
    expect(scrubValue(null)).toBeNull();
    expect(scrubValue(undefined)).toBeUndefined();
  });

  it('does not modify its input', () => {
    const input = { url: PRESIGNED, list: ['Bearer abc'] };
    scrubValue(input);
    expect(input).toEqual({ url: PRESIGNED, list: ['Bearer abc'] });
  });

  it('stops at a depth limit instead of recursing forever', () => {
    type Loop = { self?: Loop; note: string };
    const loop: Loop = { note: 'Bearer abc' };
    loop.self = loop;

    const out = JSON.stringify(scrubValue(loop));
    expect(out).toContain('[depth]');
    expect(out).not.toContain('Bearer abc');
  });

  it('removes bearer tokens in any case and Basic credentials', () => {
    expect(scrub('authorization: bearer abc.def')).toBe('authorization: bearer <redacted>');
    expect(scrub('Authorization: Basic YWRtaW46cGFzcw==')).toBe('Authorization: Basic <redacted>');
    expect(scrubValue({ cookie: 'sid=1', 'x-api-key': 'k', 'X-Amz-Security-Token': 't' })).toEqual({ cookie: '<redacted>', 'x-api-key': '<redacted>', 'X-Amz-Security-Token': '<redacted>' });
  });
});

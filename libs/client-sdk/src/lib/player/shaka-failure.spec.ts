import { SegmentDecryptError } from '@airlock/crypto';
import { KeyNotHeldError } from './segment-response';
import { shakaFailureOf } from './shaka-failure';

const RECOVERABLE = 1;
const CRITICAL = 2;
const e = (code: number, severity: number, data: unknown[] = []) => ({ code, category: Math.floor(code / 1000), severity, data });

describe('shakaFailureOf', () => {
  it('names a wrong key or a key not held from the response filter, whatever the severity', () => {
    expect(shakaFailureOf(e(1007, RECOVERABLE, [new SegmentDecryptError('bad padding')]))).toBe('key_wrong');
    expect(shakaFailureOf(e(1007, CRITICAL, [new SegmentDecryptError('bad padding')]))).toBe('key_wrong');
    expect(shakaFailureOf(e(1007, CRITICAL, [new KeyNotHeldError('other key')]))).toBe('key_missing');
    expect(shakaFailureOf(e(1007, CRITICAL, [new Error('other')]))).toBe('decode_failed');
  });

  it('tells manifest from segment network failures by the request type', () => {
    const MANIFEST = 0;
    const SEGMENT = 1;
    expect(shakaFailureOf(e(1001, CRITICAL, ['u', 404, '', {}, MANIFEST]))).toBe('manifest_unavailable');
    expect(shakaFailureOf(e(1001, CRITICAL, ['u', 404, '', {}, SEGMENT]))).toBe('segment_unavailable');
    expect(shakaFailureOf(e(1002, CRITICAL, ['u', new Error('x'), SEGMENT]))).toBe('segment_unavailable');
    expect(shakaFailureOf(e(1003, CRITICAL, ['u', MANIFEST]))).toBe('manifest_unavailable');
    expect(shakaFailureOf(e(1001, RECOVERABLE, ['u', 503, '', {}, SEGMENT]))).toBeUndefined();
  });

  it('names unparseable manifests, unsupported content and media errors; ignores its own interruptions', () => {
    expect(shakaFailureOf(e(4001, CRITICAL))).toBe('manifest_unavailable');
    expect(shakaFailureOf(e(4032, CRITICAL))).toBe('unsupported_browser');
    expect(shakaFailureOf(e(3016, CRITICAL))).toBe('decode_failed');
    expect(shakaFailureOf(e(7000, CRITICAL))).toBeUndefined();
  });
});

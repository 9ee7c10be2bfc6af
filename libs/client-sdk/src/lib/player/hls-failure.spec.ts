import { hlsFailureOf } from './hls-failure';

const err = (details: string, fatal: boolean, type = 'networkError') => ({ type, details, fatal });

describe('hlsFailureOf', () => {
  it('names a key the page does not hold at once', () => {
    expect(hlsFailureOf(err('keyLoadError', false), false)).toBe('key_missing');
    expect(hlsFailureOf(err('keyLoadTimeOut', true), false)).toBe('key_missing');
  });

  it('names a wrong key when a handed-over key does not decrypt, or decrypts to bytes that never parse', () => {
    expect(hlsFailureOf(err('fragDecryptError', false, 'mediaError'), true)).toBe('key_wrong');
    expect(hlsFailureOf(err('fragParsingError', false, 'mediaError'), true)).toBeUndefined();
    expect(hlsFailureOf(err('fragParsingError', true, 'mediaError'), true)).toBe('key_wrong');
    expect(hlsFailureOf(err('fragParsingError', true, 'mediaError'), false)).toBe('decode_failed');
  });

  it('names manifests and segments that cannot be fetched once hls.js gives up', () => {
    expect(hlsFailureOf(err('manifestLoadError', true), false)).toBe('manifest_unavailable');
    expect(hlsFailureOf(err('levelLoadError', true), false)).toBe('manifest_unavailable');
    expect(hlsFailureOf(err('audioTrackLoadError', true), false)).toBe('manifest_unavailable');
    expect(hlsFailureOf(err('fragLoadError', false), true)).toBeUndefined();
    expect(hlsFailureOf(err('fragLoadError', true), true)).toBe('segment_unavailable');
    expect(hlsFailureOf(err('fragLoadTimeOut', true), true)).toBe('segment_unavailable');
  });

  it('names codecs the browser lacks, and other fatal media errors as decode failures', () => {
    expect(hlsFailureOf(err('manifestIncompatibleCodecsError', true, 'mediaError'), false)).toBe('unsupported_browser');
    expect(hlsFailureOf(err('bufferAppendError', true, 'mediaError'), true)).toBe('decode_failed');
    expect(hlsFailureOf(err('bufferStalledError', false, 'mediaError'), true)).toBeUndefined();
  });
});

import { classifyTaskFailure } from './failure-codes';

describe('classifyTaskFailure', () => {
  it('reads a broken-input code at the head of the reason as terminal', () => {
    expect(classifyTaskFailure('source_undecryptable: The source cannot be decrypted with its content key.')).toEqual({ code: 'source_undecryptable', terminal: true });
    expect(classifyTaskFailure('unsupported_codec: prores is not supported')).toEqual({ code: 'unsupported_codec', terminal: true });
  });

  it('treats everything else as retryable under one code', () => {
    for (const reason of ['ffmpeg exited with code 1', 'heartbeat_lost: attempt x went silent', 'grant_expired: refused', 'media_not_processing: stop', '']) {
      expect(classifyTaskFailure(reason)).toEqual({ code: 'task_failed', terminal: false });
    }
  });
});

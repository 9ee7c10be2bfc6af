import { judgeSlot, Vote } from './duplicate-checks';

const vote = (workerId: string, sha256: string, current = true, attemptId = `${workerId}-${sha256}`): Vote => ({ workerId, attemptId, sha256, current });

describe('judgeSlot', () => {
  it('passes twins that agree', () => {
    expect(judgeSlot('240p/0', [vote('w1', 'aa'), vote('w2', 'aa')], 'w2-aa')).toEqual({ failures: [], minority: [] });
  });

  it('sends a one-against-one disagreement to a third worker, blaming no one', () => {
    const verdict = judgeSlot('240p/0', [vote('w1', 'aa'), vote('rogue', 'bb')], 'rogue-bb');
    expect(verdict.minority).toEqual([]);
    expect(verdict.failures).toEqual([expect.objectContaining({ reason: 'duplicate_mismatch', attemptId: 'rogue-bb', quarantine: false })]);
  });

  it('blames the current minority once two workers agree', () => {
    const verdict = judgeSlot('240p/0', [vote('rogue', 'bb'), vote('w1', 'aa', false), vote('w2', 'aa')], 'w2-aa');
    expect(verdict.failures).toEqual([expect.objectContaining({ reason: 'duplicate_minority', attemptId: 'rogue-bb' })]);
    expect(verdict.minority.map((v) => v.workerId)).toEqual(['rogue']);
  });

  it('quarantines an earlier minority even when the current twins agree', () => {
    const verdict = judgeSlot('240p/0', [vote('w1', 'aa'), vote('rogue', 'bb', false), vote('w2', 'aa')], 'w2-aa');
    expect(verdict.failures).toEqual([]);
    expect(verdict.minority.map((v) => v.workerId)).toEqual(['rogue']);
  });

  it('counts distinct workers, not attempts: one worker repeating itself is no majority', () => {
    const verdict = judgeSlot('240p/0', [vote('rogue', 'bb', false, 'r1'), vote('rogue', 'bb', true, 'r2'), vote('w1', 'aa')], 'r2');
    expect(verdict.minority).toEqual([]);
    expect(verdict.failures[0]?.reason).toBe('duplicate_mismatch');
  });
});

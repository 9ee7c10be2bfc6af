import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { currentIdentity, parseProcStat, readProcessState } from './process-identity';

describe('parseProcStat', () => {
  // Fields 1-22 of a real line; the start time (22) is 8832.
  const tail = '1 1 1 0 -1 4194560 1000 0 0 0 10 5 0 0 20 0 11 0 8832 1000000 500';

  it('reads the state and the start time (field 22)', () => {
    expect(parseProcStat(`4242 (node) S ${tail}`)).toEqual({ startTicks: 8832, zombie: false });
  });

  it('counts fields from the last parenthesis: a command name may hold spaces and parentheses', () => {
    expect(parseProcStat(`4242 (a) S 1 (b c) R ${tail}`)).toEqual({ startTicks: 8832, zombie: false });
  });

  it('tells a zombie', () => {
    expect(parseProcStat(`4242 (node) Z ${tail}`)).toEqual({ startTicks: 8832, zombie: true });
  });

  it('refuses a line it cannot read', () => {
    expect(parseProcStat('4242 node S 1 1')).toBeUndefined();
    expect(parseProcStat('4242 (node) S 1 1')).toBeUndefined();
  });
});

describe('on this machine', () => {
  it('identifies this process as /proc sees it', () => {
    const me = currentIdentity();
    expect(me.host).toBe(hostname());
    expect(me.pid).toBe(process.pid);
    expect(me.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(me.pidNs).toMatch(/^pid:\[\d+\]$/);
    expect(me.startTicks).toBe(readProcessState(process.pid)?.startTicks);
    expect(me.startTicks).toBeGreaterThan(0);
  });

  it('finds no state for a process that has exited and been reaped', () => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    expect(child.pid).toBeGreaterThan(0);
    expect(readProcessState(child.pid)).toBeUndefined();
  });
});

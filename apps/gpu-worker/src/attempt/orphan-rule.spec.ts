import { judgeWorkerDir, parseOwnerRecord, ProcessIdentity, ProcessState, RuleContext } from './orphan-rule';

const me: ProcessIdentity = { host: 'worker-a', bootId: 'boot-1', pidNs: 'pid:[4026531836]', pid: 100, startTicks: 5000 };
const STALE = 60_000;

/** A sweeper (me) on a machine whose live processes are `table`. */
const ctx = (table: Record<number, ProcessState> = {}): RuleContext => ({ me, probe: (pid) => table[pid], staleAfterMs: STALE });
const owner = (over: Partial<ProcessIdentity> = {}): ProcessIdentity => ({ ...me, pid: 200, startTicks: 7000, ...over });
const judge = (o: ProcessIdentity | undefined, silentForMs: number, table?: Record<number, ProcessState>) => judgeWorkerDir({ owner: o, silentForMs }, ctx(table));

describe('judgeWorkerDir', () => {
  describe('an owner in this pid namespace (same host, boot and namespace): judged by /proc, not by time', () => {
    it('keeps the directory while its pid runs with the recorded start time, however silent', () => {
      expect(judge(owner(), 10 * STALE, { 200: { startTicks: 7000, zombie: false } })).toEqual({ wipe: false, why: 'owner_alive' });
    });

    it('wipes it as soon as the pid is absent, however recent', () => {
      expect(judge(owner(), 0, {})).toEqual({ wipe: true, why: 'owner_dead' });
    });

    it('wipes it when the pid was reused by a process that started at another time', () => {
      expect(judge(owner(), 0, { 200: { startTicks: 7001, zombie: false } })).toEqual({ wipe: true, why: 'owner_dead' });
    });

    it('wipes it when the pid is a zombie (dead, not yet reaped)', () => {
      expect(judge(owner(), 0, { 200: { startTicks: 7000, zombie: true } })).toEqual({ wipe: true, why: 'owner_dead' });
    });

    it('never wipes its own directory', () => {
      expect(judge({ ...me }, 10 * STALE, {})).toEqual({ wipe: false, why: 'own' });
    });
  });

  describe('an owner it cannot check: left to its own sweeps until its record goes silent', () => {
    const elsewhere: [string, Partial<ProcessIdentity>][] = [
      ['another host (another pod on a shared volume)', { host: 'worker-b' }],
      ['another pid namespace (another container, same host name)', { pidNs: 'pid:[4026532000]' }],
      ['another boot (a root that outlived a reboot)', { bootId: 'boot-0' }],
      ['an owner that could not read its boot id', { bootId: null }],
      ['an owner that could not read its pid namespace', { pidNs: null }],
      ['an owner that could not read its start time', { startTicks: null }],
    ];
    it.each(elsewhere)('%s: kept while fresh even when its pid is absent here, wiped once silent', (_what, over) => {
      expect(judge(owner(over), STALE - 1, {})).toEqual({ wipe: false, why: 'owner_unverifiable' });
      expect(judge(owner(over), STALE + 1, {})).toEqual({ wipe: true, why: 'owner_silent' });
    });

    it('does not take a same-numbered live pid here as the other host owner being alive', () => {
      expect(judge(owner({ host: 'worker-b' }), STALE + 1, { 200: { startTicks: 7000, zombie: false } })).toEqual({ wipe: true, why: 'owner_silent' });
    });

    it('cannot vouch for pids when the sweeper itself lacks its boot id or namespace', () => {
      const blind: RuleContext = { ...ctx({}), me: { ...me, bootId: null } };
      expect(judgeWorkerDir({ owner: owner({ bootId: null }), silentForMs: 0 }, blind)).toEqual({ wipe: false, why: 'owner_unverifiable' });
    });
  });

  describe('an entry without an owner record', () => {
    it('is kept while recent (a worker between creating its directory and writing its record)', () => {
      expect(judge(undefined, STALE - 1)).toEqual({ wipe: false, why: 'unowned_recent' });
    });

    it('is wiped once older than the grace (a stray, or a worker killed before its record)', () => {
      expect(judge(undefined, STALE + 1)).toEqual({ wipe: true, why: 'unowned_old' });
    });
  });
});

describe('parseOwnerRecord', () => {
  it('reads back what a worker writes', () => {
    expect(parseOwnerRecord(JSON.stringify(me))).toEqual(me);
    expect(parseOwnerRecord(JSON.stringify({ ...me, bootId: null, pidNs: null, startTicks: null }))).toEqual({ ...me, bootId: null, pidNs: null, startTicks: null });
  });

  it.each([
    ['torn JSON', '{"host":"worker-a","bo'],
    ['not an object', '42'],
    ['null', 'null'],
    ['no host', JSON.stringify({ ...me, host: undefined })],
    ['a pid that is a string', JSON.stringify({ ...me, pid: '100' })],
    ['pid 0', JSON.stringify({ ...me, pid: 0 })],
    ['a fractional start time', JSON.stringify({ ...me, startTicks: 1.5 })],
    ['a numeric boot id', JSON.stringify({ ...me, bootId: 7 })],
  ])('refuses %s (the entry then counts as unowned)', (_what, text) => {
    expect(parseOwnerRecord(text)).toBeUndefined();
  });
});

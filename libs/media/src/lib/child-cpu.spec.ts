import { spawnSync } from 'node:child_process';
import { parseChildCpuSeconds, readChildCpuSeconds } from './child-cpu';

// A real /proc/self/stat line: pid, (comm), state, then fields 4..52.
const statLine = (comm: string, cutime: number, cstime: number) =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194304 1200 350 0 0 57 12 ${cutime} ${cstime} 20 0 11 0 98765 1234567890 54321 18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0`;

describe('parseChildCpuSeconds', () => {
  it('sums cutime and cstime in 1/100 s ticks', () => {
    expect(parseChildCpuSeconds(statLine('node', 250, 75))).toBeCloseTo(3.25);
  });

  it('is not thrown off by spaces or parentheses in the command name', () => {
    expect(parseChildCpuSeconds(statLine('my (odd) worker', 100, 0))).toBeCloseTo(1);
  });

  it('rejects a truncated line', () => {
    expect(() => parseChildCpuSeconds('4242 (node) S 1 2 3')).toThrow(/unparseable/);
  });
});

describe('readChildCpuSeconds', () => {
  it('reads 0 when /proc cannot be read', () => {
    expect(readChildCpuSeconds(() => { throw new Error('ENOENT'); })).toBe(0);
  });

  (process.platform === 'linux' ? it : it.skip)('grows once a CPU-burning child has been reaped', () => {
    const before = readChildCpuSeconds();
    spawnSync(process.execPath, ['-e', 'const end = Date.now() + 400; while (Date.now() < end) {}']);
    expect(readChildCpuSeconds() - before).toBeGreaterThan(0.1);
  });
});

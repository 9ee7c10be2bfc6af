import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/**
 * The README's `npm test` on a fresh machine: the command itself installs FFmpeg, Chromium and
 * node_modules before any check runs (as `npm run demo` does for FFmpeg). Run against a PATH
 * holding neither ffmpeg nor chromium, where apt-get, npm, npx and node only write down how
 * they were called.
 */
describe('npm test on a fresh machine', () => {
  let bin: string;
  let calls: string;

  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'airlock-fresh-'));
    calls = join(bin, 'calls.log');
    for (const tool of ['bash', 'dirname', 'id']) symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
    for (const tool of ['apt-get', 'npm', 'npx', 'node', 'sudo']) {
      const body = tool === 'sudo' ? 'exec "$@"' : `echo "${tool} $*" >> "${calls}"`;
      writeFileSync(join(bin, tool), `#!/usr/bin/bash\n${body}\n`);
      chmodSync(join(bin, tool), 0o755);
    }
  });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  const run = (script: string) => {
    writeFileSync(calls, '');
    const res = spawnSync('/usr/bin/bash', [join(ROOT, script)], { cwd: ROOT, env: { PATH: bin, HOME: bin }, encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    return readFileSync(calls, 'utf8').trim().split('\n');
  };

  it('installs FFmpeg, Chromium and node_modules before the first check', () => {
    const log = run('scripts/test-all.sh');
    const install = log.findIndex((l) => /^apt-get install .*\bffmpeg\b/.test(l) && /\bchromium\b/.test(l));
    const npmInstall = log.findIndex((l) => l.startsWith('npm install'));
    const firstCheck = log.findIndex((l) => l.startsWith('npx') || l.startsWith('node'));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(npmInstall).toBeGreaterThan(install);
    expect(firstCheck).toBeGreaterThan(npmInstall);
    expect(log).toContain('npx nx run e2e:test --skip-nx-cache');
  });

  it('CI runs the README command and nothing before it', () => {
    expect(run('.ci/run')).toEqual(['npm test']);
  });
});

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessError, redactArgs, redactSecrets, runProcess } from './process-runner';

// Node itself is the child: always present, and scripts make exit codes and output exact.
const node = process.execPath;
const script = (code: string) => ['-e', code];

async function failure(p: Promise<unknown>): Promise<ProcessError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProcessError) return err;
    throw err;
  }
  throw new Error('expected the process to fail');
}

describe('runProcess', () => {
  it('returns stdout and stderr of a successful run', async () => {
    const result = await runProcess(node, script('process.stdout.write("out"); process.stderr.write("err\\n")'), { timeoutMs: 10_000 });
    expect(result).toEqual({ stdout: 'out', stderr: 'err\n' });
  });

  it('runs the child at the nice value asked for, and its own children with it', async () => {
    // Field 19 of /proc/<pid>/stat is the nice value; cut, a child of the shell, reads its own.
    const probe = ['-c', 'sleep 0.3; cut -d" " -f19 /proc/self/stat'];
    expect((await runProcess('sh', probe, { timeoutMs: 5000, niceness: 10 })).stdout.trim()).toBe('10');
    expect((await runProcess('sh', probe, { timeoutMs: 5000 })).stdout.trim()).toBe(String(getPriority()));
  });

  it('a child dies with the process that started it, even when that one is SIGKILLed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-pdeathsig-'));
    const pidFile = join(dir, 'child.pid');
    try {
      // The parent: a Node process running this module, whose child writes its pid and sleeps.
      const parentCode = `require(${JSON.stringify(join(__dirname, 'process-runner.ts'))}).runProcess('sh', ['-c', 'echo $$ > ${pidFile}; exec sleep 60'], { timeoutMs: 120000 })`;
      const parent = spawn(node, ['-r', 'ts-node/register', '-e', parentCode], {
        stdio: 'ignore',
        env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '../../../../tsconfig.base.json'), TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_COMPILER_OPTIONS: '{"module":"commonjs"}' },
      });
      const deadline = Date.now() + 20_000;
      while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
        if (Date.now() > deadline) throw new Error('the child never started');
        await new Promise((r) => setTimeout(r, 50));
      }
      const childPid = Number(readFileSync(pidFile, 'utf8'));
      const alive = () => existsSync(`/proc/${childPid}`) && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${childPid}/stat`, 'utf8'));
      expect(alive()).toBe(true);
      parent.kill('SIGKILL');
      const until = Date.now() + 5000;
      while (alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(alive()).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('runs in the given cwd', async () => {
    const result = await runProcess(node, script('process.stdout.write(process.cwd())'), { cwd: '/', timeoutMs: 10_000 });
    expect(result.stdout).toBe('/');
  });

  it('rejects with the exit code and the last 20 stderr lines', async () => {
    const err = await failure(
      runProcess(node, script('for (let i = 1; i <= 30; i++) console.error("line " + i); process.exit(3)'), { timeoutMs: 10_000 }),
    );
    expect(err.kind).toBe('exit');
    expect(err.exitCode).toBe(3);
    expect(err.signal).toBeNull();
    expect(err.command).toBe('node');
    expect(err.stderrTail).toHaveLength(20);
    expect(err.stderrTail[0]).toBe('line 11');
    expect(err.stderrTail[19]).toBe('line 30');
    expect(err.message).toBe('node exited with code 3: line 30');
    expect(err.exitedWithError).toBe(true);
  });

  it('SIGKILLs a child that outlives its timeout', async () => {
    const started = Date.now();
    const err = await failure(runProcess(node, script('console.error("working"); setTimeout(() => {}, 60000)'), { timeoutMs: 300 }));
    expect(err.kind).toBe('timeout');
    expect(err.signal).toBe('SIGKILL');
    expect(err.exitedWithError).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('kills the child when aborted', async () => {
    const controller = new AbortController();
    const run = runProcess(node, script('setTimeout(() => {}, 60000)'), { timeoutMs: 30_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const err = await failure(run);
    expect(err.kind).toBe('aborted');
    expect(err.signal).toBe('SIGKILL');
  });

  it('reports a command that cannot be started', async () => {
    const err = await failure(runProcess('/nonexistent/ffmpeg', ['-version'], { timeoutMs: 10_000 }));
    expect(err.kind).toBe('spawn');
    expect(err.command).toBe('ffmpeg');
    expect(err.message).toBe('ffmpeg could not be started');
  });

  it('streams stderr lines, splitting on \\n and \\r, across chunk boundaries', async () => {
    const lines: string[] = [];
    await runProcess(
      node,
      script('process.stderr.write("a\\rb"); setTimeout(() => process.stderr.write("c\\nd\\n"), 50)'),
      { timeoutMs: 10_000, onStderrLine: (l) => lines.push(l) },
    );
    expect(lines).toEqual(['a', 'bc', 'd']);
  });

  it('redacts presigned URL queries in the attached args and stderr', async () => {
    const url = 'https://bucket.s3.example.com/src/abc?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA';
    const err = await failure(runProcess(node, [...script(`console.error("open ${url} failed"); process.exit(1)`), url], { timeoutMs: 10_000 }));
    expect(err.args[2]).toBe('https://bucket.s3.example.com/src/abc?<redacted>');
    expect(err.stderrTail).toEqual(['open https://bucket.s3.example.com/src/abc?<redacted> failed']);
    expect(JSON.stringify(err.args) + err.message).not.toMatch(/deadbeef|AKIA/);
  });

  it('keeps the event loop free while a child runs', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await runProcess(node, script('const end = Date.now() + 300; while (Date.now() < end) {}'), { timeoutMs: 10_000 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
  });
});

describe('redaction', () => {
  it('cuts queries and credentials out of http(s) URLs only', () => {
    expect(redactSecrets('in=https://h/p/seg.mp4?sig=1&x=2,stream=video')).toBe('in=https://h/p/seg.mp4?<redacted>');
    expect(redactSecrets('http://user:pass@host/a?b')).toBe('http://<redacted>@host/a?<redacted>');
    expect(redactSecrets('HTTPS://H/x#frag')).toBe('HTTPS://H/x?<redacted>');
    expect(redactArgs(['-i', '/tmp/a?b.mp4', 'https://h/plain'])).toEqual(['-i', '/tmp/a?b.mp4', 'https://h/plain']);
  });
});

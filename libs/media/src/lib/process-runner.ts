import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import { basename } from 'node:path';

/**
 * The one place in the media library that starts child processes (ffmpeg, ffprobe,
 * packager). Everything else builds argument arrays and calls runProcess, so timeouts,
 * kill semantics and secret redaction are decided once.
 *
 * spawn (not execSync/spawnSync) keeps the event loop free: a worker keeps answering
 * queue heartbeats and lock renewals while an encode runs for minutes.
 */

export interface RunOptions {
  readonly cwd?: string;
  /** Hard wall-clock limit; the child is SIGKILLed when it passes. */
  readonly timeoutMs: number;
  /** Called for every stderr line, redacted (split on \n and \r: ffmpeg rewrites progress lines with \r). */
  readonly onStderrLine?: (line: string) => void;
  /** Kill the child (SIGKILL) when this fires, e.g. when the job is cancelled or the worker shuts down. */
  readonly signal?: AbortSignal;
  /** Upper bound on collected stdout; a child that prints more is killed (protects worker memory). */
  readonly maxStdoutBytes?: number;
  /** The child's nice value (0 normal, up to 19 lowest): background work yields the CPU to urgent work. */
  readonly niceness?: number;
}

export interface RunResult {
  readonly stdout: string;
  /** stderr as printed, capped to its last STDERR_KEEP_BYTES bytes. */
  readonly stderr: string;
}

export type ProcessFailureKind = 'exit' | 'signal' | 'timeout' | 'aborted' | 'spawn' | 'output_limit';

/**
 * Children die with the process that started them. On Linux each is started through util-linux's
 * `setpriv --pdeathsig KILL`, which sets a parent-death signal and execs the command in place
 * (same pid, so niceness and kills reach it). Without it a SIGKILLed worker left its FFmpeg and
 * packager runs going, reparented to init, with the attempt's plaintext open and no timeout.
 */
const SETPRIV = '/usr/bin/setpriv';
const DIE_WITH_PARENT = process.platform === 'linux' && existsSync(SETPRIV);
/** setpriv's own exit codes when it cannot exec the command (not found, not executable). */
const SETPRIV_EXEC_FAILED = new Set([126, 127]);

const STDERR_TAIL_LINES = 20;
const STDERR_KEEP_BYTES = 256 * 1024;
const DEFAULT_MAX_STDOUT = 64 * 1024 * 1024;

/**
 * Presigned object-store URLs carry their credentials in the query string (X-Amz-Signature,
 * X-Amz-Credential, ...) and sometimes user:password in the authority. Errors end up in logs
 * and job records, so both are cut before an argument or stderr line is stored anywhere.
 */
const URL_QUERY = /(https?:\/\/[^\s?#]*)[?#]\S*/gi;
const URL_USERINFO = /(https?:\/\/)[^\s/@]+@/gi;

/** Raw keys passed to the packager (`key=<hex>`, `--iv <hex>` is public) never reach errors or logs. */
const RAW_KEY = /(\bkey=)[0-9a-fA-F]{16,}/g;

export function redactSecrets(text: string): string {
  return text.replace(URL_USERINFO, '$1<redacted>@').replace(URL_QUERY, '$1?<redacted>').replace(RAW_KEY, '$1<redacted>');
}

export function redactArgs(args: readonly string[]): string[] {
  return args.map(redactSecrets);
}

export class ProcessError extends Error {
  override readonly name = 'ProcessError';

  constructor(
    /** Base name of the executable (never a full path). */
    readonly command: string,
    /** Arguments with URL query strings and credentials redacted. */
    readonly args: readonly string[],
    readonly kind: ProcessFailureKind,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    /** The last ~20 stderr lines, redacted. Usually holds ffmpeg's actual complaint. */
    readonly stderrTail: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(describe(command, kind, exitCode, signal, stderrTail), options);
  }

  /** True when the child ran and reported failure itself (as opposed to being killed or never starting). */
  get exitedWithError(): boolean {
    return this.kind === 'exit';
  }
}

function describe(
  command: string,
  kind: ProcessFailureKind,
  exitCode: number | null,
  signal: NodeJS.Signals | null,
  tail: readonly string[],
): string {
  const last = tail.length > 0 ? `: ${tail[tail.length - 1]}` : '';
  switch (kind) {
    case 'exit':
      return `${command} exited with code ${exitCode ?? '?'}${last}`;
    case 'signal':
      return `${command} was killed by ${signal ?? 'a signal'}${last}`;
    case 'timeout':
      return `${command} timed out and was killed${last}`;
    case 'aborted':
      return `${command} was aborted${last}`;
    case 'spawn':
      return `${command} could not be started`;
    case 'output_limit':
      return `${command} printed more output than allowed and was killed`;
  }
}

/** Splits a byte stream into lines, tolerating chunk boundaries inside a line. */
class LineSplitter {
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const parts = (this.pending + chunk).split(/\r\n|\r|\n/);
    this.pending = parts.pop() ?? '';
    for (const line of parts) if (line.length > 0) this.onLine(line);
  }

  flush(): void {
    if (this.pending.length > 0) this.onLine(this.pending);
    this.pending = '';
  }
}

export function runProcess(cmd: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const command = basename(cmd);
  const safeArgs = redactArgs(args);
  const maxStdout = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT;

  return new Promise<RunResult>((resolve, reject) => {
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    const tail: string[] = [];
    let failure: ProcessFailureKind | undefined;
    let settled = false;

    const lines = new LineSplitter((raw) => {
      const line = redactSecrets(raw);
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
      if (options.onStderrLine) {
        // A broken progress callback must not take the encode down with it.
        try {
          options.onStderrLine(line);
        } catch {
          /* ignored on purpose */
        }
      }
    });

    if (options.signal?.aborted) {
      reject(new ProcessError(command, safeArgs, 'aborted', null, null, []));
      return;
    }

    const [bin, argv] = DIE_WITH_PARENT ? [SETPRIV, ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, [...args]];
    const child = spawn(bin, argv, {
      cwd: options.cwd,
      // stdin closed: ffmpeg would otherwise wait for keyboard input ('q') on a tty.
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    if (options.niceness && child.pid !== undefined) {
      // Lowering one's own child's priority is always allowed; a failure only leaves it at normal.
      try {
        setPriority(child.pid, options.niceness);
      } catch {
        /* left at the normal priority */
      }
    }

    const kill = (why: ProcessFailureKind) => {
      failure ??= why;
      child.kill('SIGKILL');
    };

    const timer = setTimeout(() => kill('timeout'), options.timeoutMs);
    const onAbort = () => kill('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (err: ProcessError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve({ stdout: Buffer.concat(stdoutChunks).toString('utf8'), stderr });
    };

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) {
        kill('output_limit');
        return;
      }
      stdoutChunks.push(chunk);
    });

    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > STDERR_KEEP_BYTES) stderr = stderr.slice(-STDERR_KEEP_BYTES);
      lines.push(chunk);
    });

    child.on('error', (cause) => {
      // Spawn failures (ENOENT, EACCES) arrive here; 'close' may or may not follow.
      finish(new ProcessError(command, safeArgs, failure ?? 'spawn', null, null, [...tail], { cause }));
    });

    // 'close' (not 'exit') fires after stdio is drained, so no output is lost.
    child.on('close', (code, signal) => {
      lines.flush();
      if (failure) return finish(new ProcessError(command, safeArgs, failure, code, signal, [...tail]));
      if (signal) return finish(new ProcessError(command, safeArgs, 'signal', code, signal, [...tail]));
      if (DIE_WITH_PARENT && code !== null && SETPRIV_EXEC_FAILED.has(code) && stderr.startsWith('setpriv: failed to execute')) {
        return finish(new ProcessError(command, safeArgs, 'spawn', code, null, [...tail]));
      }
      if (code !== 0) return finish(new ProcessError(command, safeArgs, 'exit', code, null, [...tail]));
      return finish(undefined);
    });
  });
}

import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminalError } from '@airlock/queue';
import type { GrantClient } from '../grants/grant-client';
import { SourceRejected } from '../grants/secure-source';
import type { WorkerDeps } from '../handlers/worker-deps';
import { OutputUploader } from '../output/output-uploader';
import { jobContext } from '../test/job-context';
import { type IssuedGrant, StoreGrantClient, isZeroed } from '../test/store-grant-client';
import { AttemptWorkspace } from './attempt-workspace';
import { runAttempt } from './run-attempt';

/**
 * File-system behaviour of the attempt workspace, and runAttempt's guarantees around it (with a
 * stand-in grant that is never fetched from): no store, no ffmpeg.
 */

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('attempt workspace', () => {
  let base: string;
  let root: string;
  let n = 0;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'airlock-ws-spec-'));
  });

  beforeEach(() => {
    // A root that does not exist yet: open() must create it.
    root = join(base, `root-${++n}`);
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  describe('AttemptWorkspace.open', () => {
    it('creates the root and the attempt directory with mode 0700', async () => {
      const ws = await AttemptWorkspace.open(root, 'attempt-a');
      expect(ws.dir).toBe(join(root, 'attempt-a'));
      expect(await modeOf(root)).toBe(0o700);
      expect(await modeOf(ws.dir)).toBe(0o700);
      expect((await stat(ws.dir)).isDirectory()).toBe(true);
    });

    it('creates a 0700 attempt directory inside an already existing root', async () => {
      await mkdir(root, { recursive: true });
      const ws = await AttemptWorkspace.open(root, 'attempt-b');
      expect(await modeOf(ws.dir)).toBe(0o700);
    });

    it('refuses to reuse the directory of an existing attempt id', async () => {
      await AttemptWorkspace.open(root, 'same');
      await expect(AttemptWorkspace.open(root, 'same')).rejects.toMatchObject({ code: 'EEXIST' });
    });

    it('resolves names inside the attempt directory', async () => {
      const ws = await AttemptWorkspace.open(root, 'attempt-c');
      expect(ws.path('source')).toBe(join(ws.dir, 'source'));
    });
  });

  describe('cleanup', () => {
    it('removes the directory and counts the files and bytes it held (nested too)', async () => {
      const ws = await AttemptWorkspace.open(root, 'attempt-d');
      await writeFile(ws.path('a.bin'), Buffer.alloc(1000));
      await mkdir(ws.path('packaged/deeper'), { recursive: true });
      await writeFile(ws.path('packaged/b.bin'), Buffer.alloc(250));
      await writeFile(ws.path('packaged/deeper/c.bin'), Buffer.alloc(5));

      expect(await ws.cleanup()).toEqual({ pathsRemoved: 3, bytesRemoved: 1255, tempDirGone: true });
      expect(existsSync(ws.dir)).toBe(false);
      // The root itself stays for the next attempt.
      expect(await readdir(root)).toEqual([]);
    });

    it('is idempotent: a second cleanup reports nothing left', async () => {
      const ws = await AttemptWorkspace.open(root, 'attempt-e');
      await writeFile(ws.path('x'), 'x');
      await ws.cleanup();
      expect(await ws.cleanup()).toEqual({ pathsRemoved: 0, bytesRemoved: 0, tempDirGone: true });
    });

    it('removes a symlink without following it out of the workspace', async () => {
      const outside = join(base, `outside-${n}`);
      await mkdir(outside);
      await writeFile(join(outside, 'precious.txt'), 'keep me');
      const ws = await AttemptWorkspace.open(root, 'attempt-f');
      await symlink(outside, ws.path('dir-link'));
      await symlink(join(outside, 'precious.txt'), ws.path('file-link'));

      const receipt = await ws.cleanup();
      expect(receipt.tempDirGone).toBe(true);
      expect(receipt.pathsRemoved).toBe(2);
      expect(await readFile(join(outside, 'precious.txt'), 'utf8')).toBe('keep me');
    });
  });

  describe('runAttempt', () => {
    let grants: StoreGrantClient;
    const mediaId = randomUUID();
    const ids = () => ({ mediaId, jobId: randomUUID(), taskId: randomUUID(), keyTtlSec: 600 });
    const depsFor = (tempRoot: string): WorkerDeps => ({
      grants: grants as unknown as GrantClient,
      uploader: new OutputUploader(),
      workerId: 'ws-spec',
      tempRoot,
      ffmpegTimeoutMs: 1000,
      heartbeatMs: 200,
      encoderBuild: 'none',
      encodePaths: [],
    });

    beforeEach(() => {
      // No store here: the stand-in only needs URLs it will never fetch.
      grants = new StoreGrantClient({
        presignGet: (key) => Promise.resolve(`http://store.invalid/${key}?sig=get`),
        presignBoundPut: (key) => Promise.resolve({ url: `http://store.invalid/${key}?sig=put`, headers: {}, expiresAt: new Date() }),
      });
      grants.addMedia(mediaId, {
        source: { key: `src/${mediaId}/${'a'.repeat(64)}`, sha256: 'a'.repeat(64), sizeBytes: 1 },
        contentKey: new Uint8Array(randomBytes(32)),
        outputKey: new Uint8Array(randomBytes(16)),
        outputKeyId: randomBytes(16).toString('hex'),
      });
    });

    const expectClosed = (g: IssuedGrant): void => {
      expect(isZeroed(g.contentKey)).toBe(true);
      expect(isZeroed(g.outputKey)).toBe(true);
      expect(g.calls.filter((c) => c !== 'heartbeat')).toEqual(['wipe', 'release']);
    };

    it('returns the result and a receipt, wipes the keys, releases the grant and leaves nothing behind', async () => {
      let seen = '';
      let keysDuringWork: { content: number; output: number } | undefined;
      const run = await runAttempt(depsFor(root), jobContext({ attempt: 2 }), ids(), async (ws, grant) => {
        seen = ws.dir;
        expect(await modeOf(ws.dir)).toBe(0o700);
        keysDuringWork = { content: grant.contentKey.length, output: grant.outputKey.length };
        expect(isZeroed(grant.contentKey)).toBe(false);
        await writeFile(ws.path('out'), Buffer.alloc(42));
        return 'done';
      });
      expect(run.result).toBe('done');
      expect(run.attempt).toMatchObject({ attemptNumber: 2, workerId: 'ws-spec' });
      expect(seen).toBe(join(root, run.attempt.attemptId));
      expect(keysDuringWork).toEqual({ content: 32, output: 16 });
      expect(run.cleanup).toEqual({ pathsRemoved: 1, bytesRemoved: 42, tempDirGone: true, grantReleased: true });
      expect(existsSync(seen)).toBe(false);
      expect(await readdir(root)).toEqual([]);
      expect(grants.issued).toHaveLength(1);
      expect(grants.issued[0].ids.attemptId).toBe(run.attempt.attemptId);
      expectClosed(grants.issued[0]);
      expect(grants.issued[0].outcomes).toEqual([{ ok: true }]);
    });

    it('heartbeats while the work runs and ends it at once when the api says stop, with the reason as a terminal code', async () => {
      let seen = '';
      const err: unknown = await runAttempt(depsFor(root), jobContext(), ids(), async (ws, _grant, signal) => {
        seen = ws.dir;
        await writeFile(ws.path('half.mp4'), Buffer.alloc(10));
        // The media is deleted while the attempt works: the next heartbeat is answered "stop".
        grants.heartbeatVerdict = { live: false, reason: 'media_not_processing' };
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TerminalError);
      expect(err).toMatchObject({ code: 'media_not_processing' });
      expect(existsSync(seen)).toBe(false);
      expect(await readdir(root)).toEqual([]);
      const g = grants.issued[0];
      expect(g.calls).toContain('heartbeat');
      expectClosed(g);
      expect(g.outcomes).toEqual([{ ok: false, code: 'media_not_processing' }]);
    });

    it('ends the work when the shutdown grace period runs out: not terminal, attempt closed as worker_shutdown, dir wiped, grant released', async () => {
      let seen = '';
      const shutdown = new AbortController();
      const err: unknown = await runAttempt(depsFor(root), { ...jobContext(), shutdown: shutdown.signal }, ids(), async (ws, _grant, signal) => {
        seen = ws.dir;
        await writeFile(ws.path('half.mp4'), Buffer.alloc(10));
        await new Promise((_, reject) => {
          // FFmpeg is killed on the signal...
          signal.addEventListener('abort', () => reject(new Error('ffmpeg killed')));
          // ...when SIGTERM came and the grace period is over (WorkerHost aborts ctx.shutdown).
          shutdown.abort(new Error('worker_shutdown'));
        });
      }).catch((e: unknown) => e);
      // Not terminal: the host hands the job back untried for another worker.
      expect(err).not.toBeInstanceOf(TerminalError);
      expect(err).toMatchObject({ message: 'ffmpeg killed' });
      expect(existsSync(seen)).toBe(false);
      expect(await readdir(root)).toEqual([]);
      expectClosed(grants.issued[0]);
      expect(grants.issued[0].outcomes).toEqual([{ ok: false, code: 'worker_shutdown' }]);
    });

    it('stops heartbeating once the attempt has ended', async () => {
      await runAttempt(depsFor(root), jobContext(), ids(), () => Promise.resolve(1));
      const before = grants.issued[0].calls.length;
      await new Promise((r) => setTimeout(r, 500));
      expect(grants.issued[0].calls).toHaveLength(before);
    });

    it('reports grantReleased: false when the release does not go through', async () => {
      grants.releaseSucceeds = false;
      const run = await runAttempt(depsFor(root), jobContext(), ids(), () => Promise.resolve(1));
      expect(run.cleanup).toEqual({ pathsRemoved: 0, bytesRemoved: 0, tempDirGone: true, grantReleased: false });
      expectClosed(grants.issued[0]);
    });

    it('removes the directory when the work throws, rethrows the original error, wipes the keys and releases the grant', async () => {
      let seen = '';
      const failure = new Error('encode failed');
      await expect(
        runAttempt(depsFor(root), jobContext(), ids(), async (ws) => {
          seen = ws.dir;
          await mkdir(ws.path('packaged'));
          await writeFile(ws.path('packaged/half.m4s'), Buffer.alloc(10));
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(grants.issued[0].outcomes).toEqual([{ ok: false, code: 'attempt_failed' }]);
      expect(seen).not.toBe('');
      expect(existsSync(seen)).toBe(false);
      expect(await readdir(root)).toEqual([]);
      expect(grants.issued).toHaveLength(1);
      expectClosed(grants.issued[0]);
    });

    it('turns a rejected source into a TerminalError with its code, and still closes everything', async () => {
      const err: unknown = await runAttempt(depsFor(root), jobContext(), ids(), () => {
        throw new SourceRejected('source_undecryptable', 'The source cannot be decrypted with its content key.');
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TerminalError);
      expect(err).toMatchObject({ code: 'source_undecryptable' });
      expect(await readdir(root)).toEqual([]);
      expectClosed(grants.issued[0]);
    });

    it('opens no directory when the grant is refused', async () => {
      await expect(runAttempt(depsFor(root), jobContext(), { ...ids(), mediaId: randomUUID() }, () => Promise.resolve(1))).rejects.toBeInstanceOf(TerminalError);
      expect(grants.issued).toEqual([]);
      expect(existsSync(root)).toBe(false);
    });
  });
});

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobContext } from '@airlock/queue';
import { QueueName, TerminalError } from '@airlock/queue';
import { LOCAL_S3_CREDENTIALS, LocalS3, ObjectStore, startLocalS3 } from '@airlock/storage';
import { buildManifestFixture, FIXTURE_ENCRYPTION } from './manifest/manifest.fixture';
import { ManifestHandler } from './manifest.handler';

/**
 * The manifest step against the real local store (s3rver behind its gate): manifests are
 * written once, bound to their bytes. A re-run of the same version goes on; a different
 * presentation under a version already written fails loudly and overwrites nothing.
 */
describe('ManifestHandler writes manifests once', () => {
  const BUCKET = 'airlock-manifests';
  const dir = mkdtempSync(join(tmpdir(), 'airlock-manifester-'));
  let s3: LocalS3;
  let store: ObjectStore;
  let handler: ManifestHandler;

  beforeAll(async () => {
    s3 = await startLocalS3({ directory: join(dir, 'data'), buckets: [BUCKET], publicReadPrefixes: ['seg/', 'man/'] });
    store = new ObjectStore({ endpoint: s3.endpoint, ...LOCAL_S3_CREDENTIALS, region: 'us-east-1', bucket: BUCKET, singlePart: true });
    handler = new ManifestHandler(store);
  });
  afterAll(async () => {
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The verifier's passing answer for a fixture presentation, as the flow hands it down. */
  const contextFor = (mediaId: string, segments: number): JobContext => {
    const { streams, outputs } = buildManifestFixture({ mediaId, encryption: FIXTURE_ENCRYPTION, segments });
    return {
      jobId: randomUUID(),
      queue: QueueName.Short,
      attempt: 1,
      maxAttempts: 3,
      childrenValues: <T>() => Promise.resolve([{ ok: true, streams, outputs, checked: outputs.length }] as T[]),
      failedChildren: () => Promise.resolve({}),
    };
  };

  /** Every stored manifest object of a version, with its bytes. */
  async function storedVersion(mediaId: string): Promise<Map<string, string>> {
    const keys = (await store.list('')).map((o) => o.key).filter((k) => k.includes(mediaId) && /\.(m3u8|mpd)$/.test(k));
    return new Map(await Promise.all(keys.map(async (k) => [k, (await store.getBuffer(k)).toString('utf8')] as const)));
  }

  it('a re-run of the same version finds the same bytes and completes; other bytes fail manifest_conflict and change nothing', async () => {
    const data = { mediaId: randomUUID(), jobId: randomUUID(), version: 'v1' };
    const first = await handler.handle(data, contextFor(data.mediaId, 3));
    expect(first.ok).toBe(true);
    const written = await storedVersion(data.mediaId);
    expect(written.size).toBeGreaterThan(2);

    // The same step again (a retry after a lost completion): same bytes, so it goes on.
    expect(await handler.handle(data, contextFor(data.mediaId, 3))).toEqual(first);
    expect(await storedVersion(data.mediaId)).toEqual(written);

    // Another presentation (four segments) under the same version: refused, nothing rewritten.
    const conflict = await handler.handle(data, contextFor(data.mediaId, 4)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(conflict).toBeInstanceOf(TerminalError);
    expect((conflict as TerminalError).code).toBe('manifest_conflict');
    expect(await storedVersion(data.mediaId)).toEqual(written);
  });

  it('putBufferOnce: created, then existed for the same bytes, ObjectConflictError for others; the first bytes stay', async () => {
    const key = `man/${randomUUID()}/v1/master.m3u8`;
    expect(await store.putBufferOnce(key, '#EXTM3U\n', 'application/vnd.apple.mpegurl')).toBe('created');
    expect(await store.putBufferOnce(key, '#EXTM3U\n', 'application/vnd.apple.mpegurl')).toBe('existed');
    await expect(store.putBufferOnce(key, '#EXTM3U\n#EXT-X-VERSION:7\n')).rejects.toThrow(/already holds other bytes/);
    expect((await store.getBuffer(key)).toString()).toBe('#EXTM3U\n');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ObjectStore, sha256File } from './object-store';
import { LocalS3, startLocalS3 } from './s3rver.launcher';

describe('ObjectStore against s3rver', () => {
  let s3: LocalS3;
  let store: ObjectStore;
  const dir = mkdtempSync(join(tmpdir(), 'airlock-s3-'));

  beforeAll(async () => {
    s3 = await startLocalS3({ directory: join(dir, 'data'), buckets: ['airlock-it'] });
    store = new ObjectStore({ endpoint: s3.endpoint, accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1', bucket: 'airlock-it', singlePart: true });
    await store.ensureBucket();
  });
  afterAll(async () => {
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts, stats, hashes, lists and deletes by prefix', async () => {
    const file = join(dir, 'a.bin');
    writeFileSync(file, Buffer.alloc(300_000, 7));
    await store.putFile('seg/m1/a.bin', file);
    await store.putBuffer('seg/m1/b.txt', 'hello');
    expect(await store.stat('seg/m1/a.bin')).toEqual({ key: 'seg/m1/a.bin', size: 300_000 });
    expect(await store.stat('seg/m1/missing')).toBeUndefined();
    expect(await store.sha256('seg/m1/a.bin')).toBe(await sha256File(file));
    expect((await store.list('seg/m1/')).map((o) => o.key).sort()).toEqual(['seg/m1/a.bin', 'seg/m1/b.txt']);
    expect(await store.deletePrefix('seg/m1/')).toBe(2);
    expect(await store.list('seg/m1/')).toEqual([]);
  });

  it('accepts a presigned PUT and serves the object at its public URL', async () => {
    const body = Buffer.from('presigned body');
    const url = await store.presignPut('src/m2/x', 60);
    const put = await fetch(url, { method: 'PUT', body });
    expect(put.status).toBe(200);
    const got = await fetch(store.publicUrl('src/m2/x'));
    expect(got.status).toBe(200);
    const bytes = Buffer.from(await got.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });
});

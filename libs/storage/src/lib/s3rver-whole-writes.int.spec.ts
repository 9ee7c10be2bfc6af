import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { makeWritesWhole, S3rverFilesystemStore } from './s3rver-whole-writes';

/** s3rver's own filesystem store, as the local store runs it. */
function filesystemStore(dir: string): S3rverFilesystemStore {
  const FilesystemStore = require('s3rver/lib/stores/filesystem');
  return new FilesystemStore(dir);
}

describe('s3rver writes whole objects before a PUT settles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-whole-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the object file holds every byte the moment putObject settles, for streams and buffers', async () => {
    const store = filesystemStore(dir);
    makeWritesWhole(store);
    // One large last chunk: the file write that holds it outlasts s3rver's metadata writes.
    const body = Buffer.alloc(48 * 1024 * 1024, 7);
    for (let i = 0; i < 3; i++) {
      const { size } = await store.putObject({ bucket: 'b', key: `src/m/${i}`, content: Readable.from([body.subarray(0, 1024), body]), metadata: {} });
      expect(size).toBe(1024 + body.length);
      expect(statSync(store.getResourcePath('b', `src/m/${i}`, 'object')).size).toBe(size);
    }
    const { size, md5 } = await store.putObject({ bucket: 'b', key: 'buf', content: Buffer.from('abc'), metadata: {} });
    expect([size, md5]).toEqual([3, '900150983cd24fb0d6963f7d28e17f72']);
    expect(statSync(store.getResourcePath('b', 'buf', 'object')).size).toBe(3);
  });
});

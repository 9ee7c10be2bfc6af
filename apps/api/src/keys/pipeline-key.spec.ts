import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateContentKey, unwrapKey, wrapKey } from '@airlock/crypto';
import { loadPipelineKey } from './pipeline-key';

describe('loadPipelineKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a local key once (0600), then reloads the same one', async () => {
    const file = join(dir, 'k', 'pipeline-key.json');
    const first = await loadPipelineKey({ file, allowGenerate: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await loadPipelineKey({ file, allowGenerate: true });
    expect(again.publicJwk).toEqual(first.publicJwk);
    expect(first.publicJwk.d).toBeUndefined();
    const key = await generateContentKey();
    expect(Buffer.from(await unwrapKey(await wrapKey(key, first.publicJwk), again.privateJwk))).toEqual(Buffer.from(key));
  });

  it('requires an explicit key in production and rejects a public or foreign key', async () => {
    await expect(loadPipelineKey({ file: join(dir, 'missing.json'), allowGenerate: false })).rejects.toThrow(/PIPELINE_PRIVATE_JWK/);
    await expect(loadPipelineKey({ privateJwk: JSON.stringify({ kty: 'OKP', crv: 'X25519', x: 'abc' }), file: '', allowGenerate: false })).rejects.toThrow(/private X25519/);
  });
});

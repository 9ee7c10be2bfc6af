import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { defaultPackagerPath, packageAudio } from './packager.adapter';

describe('packager adapter', () => {
  it('finds the binary shipped with the shaka-packager npm package', () => {
    const path = defaultPackagerPath();
    expect(path).toMatch(/shaka-packager[\\/]bin[\\/]/);
    expect(basename(path)).toBe(`packager-linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}`);
    expect(existsSync(path)).toBe(true);
  });

  it('refuses paths that would break the stream descriptor', async () => {
    await expect(packageAudio({ input: '/tmp/a,b.mp4', outDir: '/tmp/x', segmentSec: 6 })).rejects.toThrow(/must not contain/);
    await expect(packageAudio({ input: '/tmp/a.mp4', outDir: '/tmp/x', segmentSec: 0 })).rejects.toThrow(/positive/);
  });
});

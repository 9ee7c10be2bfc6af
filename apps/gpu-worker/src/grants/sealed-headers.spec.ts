import { SealedHead, SealedHeaders } from './sealed-headers';

describe('SealedHeaders', () => {
  const head = (n: number): SealedHead => ({ header: new Uint8Array([n]), total: 100 + n });
  const source = (sha256: string, sizeBytes = 100) => ({ sha256, sizeBytes });

  it('reads a source header once, and each source its own', async () => {
    const headers = new SealedHeaders();
    const read = jest.fn(async () => head(1));
    expect(await headers.get(source('a'), read)).toEqual(head(1));
    expect(await headers.get(source('a'), read)).toEqual(head(1));
    expect(read).toHaveBeenCalledTimes(1);
    await headers.get(source('b'), async () => head(2));
    // Same hash, another size: another object.
    expect(await headers.get(source('a', 101), async () => head(3))).toEqual(head(3));
  });

  it('forgets the oldest past its capacity, and remembers nothing from a failed read', async () => {
    const headers = new SealedHeaders(2);
    await headers.get(source('a'), async () => head(1));
    await headers.get(source('b'), async () => head(2));
    await headers.get(source('c'), async () => head(3));
    const again = jest.fn(async () => head(4));
    expect(await headers.get(source('a'), again)).toEqual(head(4));
    expect(await headers.get(source('c'), again)).toEqual(head(3));
    await expect(headers.get(source('d'), async () => Promise.reject(new Error('403')))).rejects.toThrow('403');
    expect(await headers.get(source('d'), async () => head(5))).toEqual(head(5));
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  CbcsDecryptError,
  clearInitSegment,
  decryptCbcsTrack,
  decryptMediaSegment,
  encryptedBlockIndices,
  readSampleCryptoInfo,
  readTrackProtection,
} from './cbcs-decrypt';
import { makeClip, makeTempDir, removeDir } from './media-clips.fixtures';
import { runProcess } from './process-runner';

/**
 * Real shaka packager output (cbcs, pattern 10:0, constant IV, the pipeline's settings) is
 * decrypted and compared, sample bytes and decoded frames, with a clear packaging of the same
 * input.
 */

const KEY_ID = '00112233445566778899aabbccddeeff';
const KEY = '0f0e0d0c0b0a09080706050403020100';
const IV = '000102030405060708090a0b0c0d0e0f';
const PACKAGER = join(dirname(require.resolve('shaka-packager/package.json')), 'bin', 'packager-linux-x64');
const TIMEOUT = { timeoutMs: 60_000 };

interface Track {
  init: Buffer;
  segment: Buffer;
}

/** Concatenated mdat payloads: the sample bytes of a one-track segment. */
function mdatBytes(segment: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= segment.length) {
    const size = segment.readUInt32BE(at);
    if (segment.toString('latin1', at + 4, at + 8) === 'mdat') parts.push(segment.subarray(at + 8, at + size));
    at += size;
  }
  return Buffer.concat(parts);
}

describe('cbcs decryption of shaka packager output', () => {
  let dir: string;
  const enc: Record<'video' | 'audio', Track> = {} as never;
  const clear: Record<'video' | 'audio', Track> = {} as never;

  async function pack(out: string, extra: string[]): Promise<Record<'video' | 'audio', Track>> {
    const streams = (['video', 'audio'] as const).map((s) => `in=${join(dir, 'src.mp4')},stream=${s},init_segment=${join(dir, out, s, 'init.mp4')},segment_template=${join(dir, out, s, '$Number$.m4s')}`);
    await runProcess(PACKAGER, [...streams, '--segment_duration', '3600', '--use_fake_clock_for_muxer', ...extra], TIMEOUT);
    const read = async (s: string) => ({ init: await readFile(join(dir, out, s, 'init.mp4')), segment: await readFile(join(dir, out, s, '1.m4s')) });
    return { video: await read('video'), audio: await read('audio') };
  }

  async function framemd5(file: string, stream: 'v' | 'a'): Promise<string> {
    const { stdout } = await runProcess('ffmpeg', ['-nostdin', '-v', 'error', '-xerror', '-i', file, '-map', `0:${stream}:0`, '-f', 'framemd5', '-'], TIMEOUT);
    return stdout
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .join('\n');
  }

  beforeAll(async () => {
    dir = await makeTempDir('cbcs-decrypt-');
    await makeClip(join(dir, 'src.mp4'), { seconds: 2, width: 320, height: 240, fps: 25, keyframeEverySec: 1 });
    Object.assign(
      enc,
      await pack('enc', [
        '--enable_raw_key_encryption',
        '--keys',
        `label=:key_id=${KEY_ID}:key=${KEY}`,
        '--protection_scheme',
        'cbcs',
        '--crypt_byte_block',
        '10',
        '--skip_byte_block',
        '0',
        '--iv',
        IV,
        '--clear_lead',
        '0',
      ]),
    );
    Object.assign(clear, await pack('clear', []));
  });

  afterAll(() => removeDir(dir));

  it('reads the protection of the init segments (KID, constant IV, pattern)', () => {
    const v = readTrackProtection(enc.video.init);
    expect(v).toMatchObject({ sampleEntry: 'encv', originalFormat: 'avc1', scheme: 'cbcs', isProtected: true, perSampleIvSize: 0, cryptByteBlock: 10, skipByteBlock: 0 });
    expect(v?.defaultKeyId.toString('hex')).toBe(KEY_ID);
    expect(v?.constantIv?.toString('hex')).toBe(IV);
    expect(readTrackProtection(enc.audio.init)).toMatchObject({ sampleEntry: 'enca', originalFormat: 'mp4a', scheme: 'cbcs' });
    expect(readTrackProtection(clear.video.init)).toBeUndefined();
  });

  it('lists samples with subsamples covering each video sample', () => {
    const p = readTrackProtection(enc.video.init);
    if (!p) throw new Error('no protection');
    const samples = readSampleCryptoInfo(enc.video.segment, p);
    expect(samples).toHaveLength(50);
    for (const s of samples) expect(s.subsamples.reduce((n, [c, e]) => n + c + e, 0)).toBe(s.size);
  });

  it.each(['video', 'audio'] as const)('decrypts the %s samples to the bytes of the clear packaging', (kind) => {
    const p = readTrackProtection(enc[kind].init);
    if (!p) throw new Error('no protection');
    expect(mdatBytes(enc[kind].segment).equals(mdatBytes(clear[kind].segment))).toBe(false);
    const input = Buffer.from(enc[kind].segment);
    const out = decryptMediaSegment(enc[kind].segment, p, Buffer.from(KEY, 'hex'));
    expect(enc[kind].segment.equals(input)).toBe(true); // the input is left alone
    expect(out).toHaveLength(enc[kind].segment.length);
    expect(mdatBytes(out).equals(mdatBytes(clear[kind].segment))).toBe(true);
  });

  it('turns the init segment into a clear one', () => {
    const init = clearInitSegment(enc.video.init);
    expect(init).toHaveLength(enc.video.init.length);
    expect(readTrackProtection(init)).toBeUndefined();
    expect(init.includes('avc1')).toBe(true);
    expect(init.includes('encv')).toBe(false);
    expect(init.includes('sinf')).toBe(false);
  });

  it('yields files ffmpeg decodes frame for frame like the clear packaging', async () => {
    for (const [kind, stream] of [
      ['video', 'v'],
      ['audio', 'a'],
    ] as const) {
      const { init, segments } = decryptCbcsTrack(enc[kind].init, [enc[kind].segment], KEY_ID.toUpperCase(), KEY);
      const decrypted = join(dir, `${kind}-decrypted.mp4`);
      const reference = join(dir, `${kind}-clear.mp4`);
      await writeFile(decrypted, Buffer.concat([init, ...segments]));
      await writeFile(reference, Buffer.concat([clear[kind].init, clear[kind].segment]));
      const got = await framemd5(decrypted, stream);
      const want = await framemd5(reference, stream);
      if (kind === 'video') expect(got.split('\n')).toHaveLength(50);
      expect(got).toBe(want);
    }
  });

  it('a wrong key yields different sample bytes', () => {
    const p = readTrackProtection(enc.video.init);
    if (!p) throw new Error('no protection');
    const out = decryptMediaSegment(enc.video.segment, p, Buffer.from('ff'.repeat(16), 'hex'));
    expect(mdatBytes(out).equals(mdatBytes(clear.video.segment))).toBe(false);
  });

  it('refuses a key id the track is not encrypted with and keys of the wrong size', () => {
    expect(() => decryptCbcsTrack(enc.video.init, [enc.video.segment], 'ab'.repeat(16), KEY)).toThrow(CbcsDecryptError);
    const p = readTrackProtection(enc.video.init);
    if (!p) throw new Error('no protection');
    expect(() => decryptMediaSegment(enc.video.segment, p, Buffer.alloc(8))).toThrow(/16 bytes/);
  });

  it('refuses a truncated segment', () => {
    const p = readTrackProtection(enc.video.init);
    if (!p) throw new Error('no protection');
    expect(() => decryptMediaSegment(enc.video.segment.subarray(0, enc.video.segment.length - 100), p, Buffer.from(KEY, 'hex'))).toThrow(CbcsDecryptError);
  });
});

describe('encryptedBlockIndices', () => {
  it('encrypts every whole block with 10:0 and 0:0, leaving a partial block clear', () => {
    expect(encryptedBlockIndices(16 * 3 + 5, 10, 0)).toEqual([0, 1, 2]);
    expect(encryptedBlockIndices(16 * 2, 0, 0)).toEqual([0, 1]);
    expect(encryptedBlockIndices(15, 10, 0)).toEqual([]);
  });

  it('follows a 1:9 pattern, including a short last run', () => {
    expect(encryptedBlockIndices(16 * 21, 1, 9)).toEqual([0, 10, 20]);
    expect(encryptedBlockIndices(16 * 12, 2, 3)).toEqual([0, 1, 5, 6, 10, 11]);
  });
});

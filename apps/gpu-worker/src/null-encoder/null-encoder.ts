import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Probe, probeSchema } from '@airlock/contracts';
import { FileProfile, FrameRate } from '@airlock/domain';
import { runProcess } from '@airlock/media';
import { fragment, Fmp4Template, splitFragmented, withoutSei, withTimescale } from './fmp4-writer';

/**
 * WORKER_CLASS=null: the worker does everything a real attempt does (grant, source download and
 * decryption, packaging, segment encryption, hashes, uploads, cleanup, record) except FFmpeg. Its
 * "encode" writes, in microseconds, a real fMP4 whose timeline is the plan's: the chunk's tfdt,
 * frame count and duration, made of one tiny frame (16x16 black, every frame a keyframe)
 * encoded once at worker start. Benchmarks of the control plane use it; it is refused in
 * production unless ALLOW_NULL_ENCODER=1 (libs/config).
 */
export class NullEncoder {
  static readonly PATH = 'null';

  private constructor(
    private readonly video: Readonly<Record<VideoTemplateName, Fmp4Template>>,
    private readonly audioTemplate: Fmp4Template,
    private readonly files: Readonly<Record<FileProfile['kind'], Buffer>>,
    private readonly model: NullEncoderModel,
  ) {}

  /**
   * Encodes the templates (a few FFmpeg runs of a single tiny frame), once per worker. A model
   * (scale benchmarks) adds a modelled probe and modelled encode times.
   */
  static async prepare(model: NullEncoderModelInput = {}, timeoutMs = 60_000): Promise<NullEncoder> {
    const parsed: NullEncoderModel = {
      ...(model.probe ? { probe: probeSchema.parse(model.probe) } : {}),
      delayMs: Object.fromEntries(Object.entries(model.delayMs ?? {}).map(([k, v]) => [k, Number(v)])),
    };
    for (const [name, ms] of Object.entries(parsed.delayMs)) if (!(ms >= 0)) throw new Error(`NULL_ENCODER_DELAY_MS: ${name} is not a number of milliseconds`);
    const dir = await mkdtemp(join(tmpdir(), 'airlock-null-encoder-'));
    try {
      const run = async (name: string, args: string[]) => {
        const out = join(dir, name);
        await runProcess('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args, out], { cwd: dir, timeoutMs });
        return readFile(out);
      };
      const frame = ['-f', 'lavfi', '-i', 'color=black:s=16x16:r=25', '-frames:v', '1', '-an'];
      const frag = ['-movflags', '+frag_keyframe+empty_moov+default_base_moof+negative_cts_offsets', '-f', 'mp4'];
      const x265 = ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=1', '-tag:v', 'hvc1'];
      const [h264, hevc, hevcHdr, audio, poster, animated, mp4] = await Promise.all([
        run('h264.mp4', [...frame, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '1', '-bf', '0', '-pix_fmt', 'yuv420p', ...frag]),
        run('hevc.mp4', [...frame, ...x265, '-pix_fmt', 'yuv420p', ...frag]),
        run('hevc10.mp4', [...frame, ...x265, '-pix_fmt', 'yuv420p10le', ...frag]),
        run('audio.mp4', ['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo', '-t', '0.2', '-c:a', 'aac', '-b:a', '128k', ...frag]),
        run('poster.jpg', [...frame, '-c:v', 'mjpeg', '-f', 'image2']),
        run('animated.webp', ['-f', 'lavfi', '-i', 'color=black:s=16x16:r=10', '-frames:v', '3', '-c:v', 'libwebp_anim', '-loop', '0', '-f', 'webp']),
        run('file.mp4', [...frame, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4']),
      ]);
      const video = (buf: Buffer, codec: 'h264' | 'hevc'): Fmp4Template => {
        const t = splitFragmented(buf);
        return { ...t, samples: [withoutSei(t.samples[0], codec)] };
      };
      const aac = splitFragmented(audio);
      return new NullEncoder(
        { h264: video(h264, 'h264'), hevc: video(hevc, 'hevc'), hevc_hdr: video(hevcHdr, 'hevc') },
        // A steady-state frame of silence (the first ones carry the encoder's priming).
        { ...aac, samples: [aac.samples[Math.min(2, aac.samples.length - 1)]] },
        { poster, animated, mp4 },
        parsed,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The chunk of one segment x rendition, as FFmpeg would have left it: init + one fragment on the plan's timeline. */
  async segment(p: { segment: { index: number; startFrame: number; frameCount: number }; fps: FrameRate; rendition: { name: string; codec: 'h264' | 'hevc'; hdr: boolean } }, out: string): Promise<string> {
    await this.modelledEncode(p.rendition.name);
    const template = this.video[p.rendition.codec === 'h264' ? 'h264' : p.rendition.hdr ? 'hevc_hdr' : 'hevc'];
    const { timescale, sampleDuration } = videoTiming(p.fps);
    const chunk = fragment({
      trackId: template.trackId,
      sequence: 1,
      baseDecodeTime: p.segment.startFrame * sampleDuration,
      sampleDuration,
      sampleCount: p.segment.frameCount,
      sample: template.samples[0],
    });
    await writeFile(out, Buffer.concat([withTimescale(template.init, timescale), chunk]), { flag: 'wx', mode: 0o600 });
    return NullEncoder.PATH;
  }

  /** The whole file's audio: AAC frames of silence for durationSec at 48 kHz. */
  async audio(durationSec: number, out: string): Promise<void> {
    await this.modelledEncode('audio');
    const t = this.audioTemplate;
    const frames = Math.max(1, Math.ceil((durationSec * 48_000) / 1024));
    const chunk = fragment({ trackId: t.trackId, sequence: 1, baseDecodeTime: 0, sampleDuration: 1024, sampleCount: frames, sample: t.samples[0] });
    await writeFile(out, Buffer.concat([withTimescale(t.init, 48_000), chunk]), { flag: 'wx', mode: 0o600 });
  }

  /** A chat file: a 16x16 JPEG, a 3-frame WebP or a one-frame faststart MP4. */
  async file(kind: FileProfile['kind'], out: string, name: string = kind): Promise<void> {
    await this.modelledEncode(name);
    await writeFile(out, this.files[kind], { flag: 'wx', mode: 0o600 });
  }

  /** The modelled probe (scale benchmarks of sources too big to make), if any. */
  get probe(): Probe | undefined {
    return this.model.probe;
  }

  private async modelledEncode(name: string): Promise<void> {
    const ms = this.model.delayMs[name] ?? this.model.delayMs['*'] ?? 0;
    if (ms > 0) await sleep(ms);
  }
}

export interface NullEncoderModelInput {
  readonly probe?: unknown;
  readonly delayMs?: Record<string, unknown>;
}

interface NullEncoderModel {
  readonly probe?: Probe;
  readonly delayMs: Record<string, number>;
}

type VideoTemplateName = 'h264' | 'hevc' | 'hevc_hdr';

/**
 * A timescale in which every frame lasts a whole number of ticks: 90 kHz when the rate divides
 * it (25, 30, 60, 30000/1001), else the rate's own numerator (24000/1001 -> 24000, 1001 a frame).
 */
export function videoTiming(fps: FrameRate): { timescale: number; sampleDuration: number } {
  if ((90_000 * fps.den) % fps.num === 0) return { timescale: 90_000, sampleDuration: (90_000 * fps.den) / fps.num };
  return { timescale: fps.num, sampleDuration: fps.den };
}

import { chmod, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { AirlockClient, outputKeyFor } from '@airlock/client-sdk';
import { decryptSegment, SegmentDecryptError, segmentIv } from '@airlock/crypto';
import { segmentPlaceOf } from '@airlock/domain';
import { runProcess } from '@airlock/media';
import { chooseVariant, parseMediaPlaylist } from './hls-playlist';
import { readPrivateJwkFile } from './jwk-file';

export interface ReceiveOptions {
  readonly mediaId: string;
  /** Recipient private JWK file (bare JWK or an identity file with `privateJwk`). */
  readonly keyFile: string;
  readonly recipientId?: string;
  readonly out: string;
  readonly apiUrl: string;
  readonly apiKey: string;
}

export interface ReceiveDeps {
  readonly client: Pick<AirlockClient, 'getMedia'>;
  /** Fetches manifests and segments (public object-store URLs: no API key is sent). */
  readonly fetch: typeof fetch;
  /** Runs ffmpeg with these arguments. */
  readonly ffmpeg: (args: string[]) => Promise<void>;
}

export const RECEIVE_USAGE = `airlock receive MEDIA_ID --key RECIPIENT_PRIVATE_JWK_FILE [--recipient-id ID] --out FILE.mp4
    [--api URL] [--api-key KEY]   (here --key is the recipient's private key; the API key is --api-key)`;

export function parseReceiveArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ReceiveOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      key: { type: 'string' },
      'recipient-id': { type: 'string' },
      out: { type: 'string', short: 'o' },
      api: { type: 'string', default: env['AIRLOCK_API_URL'] ?? 'http://127.0.0.1:3000' },
      'api-key': { type: 'string', default: env['AIRLOCK_API_KEY'] ?? 'airlock-dev-key' },
    },
  });
  if (positionals.length !== 1) throw new Error(`receive needs exactly one MEDIA_ID\n${RECEIVE_USAGE}`);
  if (!values.key) throw new Error(`receive needs --key RECIPIENT_PRIVATE_JWK_FILE\n${RECEIVE_USAGE}`);
  if (!values.out) throw new Error(`receive needs --out FILE.mp4\n${RECEIVE_USAGE}`);
  return { mediaId: positionals[0], keyFile: values.key, recipientId: values['recipient-id'], out: values.out, apiUrl: values.api, apiKey: values['api-key'] };
}

async function fetchOk(f: typeof fetch, url: string): Promise<Response> {
  const res = await f(url);
  if (!res.ok) throw new Error(`GET ${new URL(url).pathname} failed: HTTP ${res.status}`);
  return res;
}

const fetchText = async (f: typeof fetch, url: string) => (await fetchOk(f, url)).text();
const fetchBytes = async (f: typeof fetch, url: string) => Buffer.from(await (await fetchOk(f, url)).arrayBuffer());

/** The media's output key and the key id its IVs are derived from. */
interface OutputKey {
  readonly keyIdHex: string;
  readonly key: Uint8Array;
}

/**
 * One published object, decrypted as a native HLS player does (`METHOD=AES-128`: the object
 * whole, AES-128-CBC), with the IV of the place its URL names (rendition, index; -1 for the init).
 */
async function fetchClear(f: typeof fetch, url: string, key: OutputKey): Promise<Uint8Array> {
  const path = new URL(url).pathname;
  const place = segmentPlaceOf(path);
  if (!place) throw new Error(`${path} is not a published segment (its URL names no rendition and index to derive its IV from)`);
  const cipher = await fetchBytes(f, url);
  try {
    return await decryptSegment(cipher, key.key, await segmentIv(key.keyIdHex, place.rendition, place.index));
  } catch (e) {
    if (e instanceof SegmentDecryptError) throw new Error(`${path} does not decrypt with this recipient's key: ${e.message}`);
    throw e;
  }
}

/**
 * Download one rendition's init and segments, decrypt each object as it arrives, and write
 * `init + segments` as a clear fragmented MP4 (0600) at `path`.
 */
async function downloadTrack(f: typeof fetch, playlistUrl: string, key: OutputKey, path: string): Promise<void> {
  const playlist = parseMediaPlaylist(await fetchText(f, playlistUrl), playlistUrl);
  const init = await fetchClear(f, playlist.initUrl, key);
  try {
    await writeFile(path, init, { mode: 0o600 });
  } finally {
    init.fill(0);
  }
  for (const url of playlist.segmentUrls) {
    const segment = await fetchClear(f, url, key);
    try {
      await appendFile(path, segment);
    } finally {
      segment.fill(0);
    }
  }
}

/** The media's output key, unwrapped with the recipient's private key (bytes the caller zeroes). */
async function unwrapOutputKey(media: { keyId: string; keys: { recipientId: string; jwe: string }[] }, recipientId: string, privateJwk: JWK): Promise<OutputKey> {
  return { keyIdHex: media.keyId.toLowerCase(), key: await outputKeyFor(media, { recipientId, privateJwk }) };
}

/**
 * The recipient's side: unwrap the output key with the recipient's private key, download the
 * highest video rendition and the audio from the HLS master, decrypt them (each init and segment
 * whole, AES-128) in a private temporary directory, and mux them into a playable MP4 at
 * `opts.out`. Returns the chosen resolution. Keys are never printed.
 */
export async function receive(opts: ReceiveOptions, deps: ReceiveDeps): Promise<{ resolution?: string; out: string }> {
  const { id: fileId, privateJwk } = readPrivateJwkFile(opts.keyFile);
  const recipientId = opts.recipientId ?? fileId;
  if (!recipientId) throw new Error('the key file names no recipient id: pass --recipient-id');

  const media = await deps.client.getMedia(opts.mediaId);
  if (media.state !== 'ready' || !media.manifests) throw new Error(`media ${media.id} is ${media.state}, not ready`);
  const key = await unwrapOutputKey(media, recipientId, privateJwk);
  try {
    const masterUrl = new URL(media.manifests.hls, opts.apiUrl).href;
    const choice = chooseVariant(await fetchText(deps.fetch, masterUrl), masterUrl);
    const scratch = await mkdtemp(join(tmpdir(), 'airlock-receive-'));
    try {
      await chmod(scratch, 0o700);
      const video = join(scratch, 'video.mp4');
      await downloadTrack(deps.fetch, choice.videoUrl, key, video);
      const inputs = ['-i', video];
      const maps = ['-map', '0'];
      if (choice.audioUrl) {
        const audio = join(scratch, 'audio.mp4');
        await downloadTrack(deps.fetch, choice.audioUrl, key, audio);
        inputs.push('-i', audio);
        maps.push('-map', '1');
      }
      const out = resolve(opts.out);
      await deps.ffmpeg(['-nostdin', '-hide_banner', '-v', 'error', '-y', ...inputs, ...maps, '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', out]);
      return { resolution: choice.resolution, out };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  } finally {
    key.key.fill(0);
  }
}

export function defaultReceiveDeps(opts: ReceiveOptions): ReceiveDeps {
  return {
    client: new AirlockClient({ baseUrl: opts.apiUrl, apiKey: opts.apiKey }),
    fetch: globalThis.fetch.bind(globalThis),
    ffmpeg: async (args) => {
      await runProcess('ffmpeg', args, { timeoutMs: 30 * 60_000 });
    },
  };
}

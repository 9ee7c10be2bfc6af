import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AirlockClient } from '@airlock/client-sdk';
import { PLAYER_BUNDLE_DIR, PLAYER_BUNDLE_ENTRY } from '@airlock/client-sdk/node';
import { workspaceRoot } from '@airlock/devstack';
import { readPrivateJwkFile } from './jwk-file';
import { startPlayServer, type PlayServer } from './play-server';

export interface PlayOptions {
  readonly mediaId: string;
  /** Recipient private JWK file (bare JWK or an identity file with `privateJwk`). */
  readonly keyFile: string;
  readonly recipientId?: string;
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly format: 'auto' | 'hls' | 'dash';
  readonly rendition?: string;
  /** Try to open a browser on the page (default true; --no-open). */
  readonly open: boolean;
  readonly port?: number;
}

export interface PlayDeps {
  readonly client: Pick<AirlockClient, 'getMedia'>;
  /** The repository root (examples/player and the built bundle are found below it). */
  readonly root: string;
  /** Opens a URL in the desktop's browser; false when it could not. */
  readonly openBrowser: (url: string) => Promise<boolean>;
  readonly print: (line: string) => void;
}

export const PLAY_USAGE = `airlock receive MEDIA_ID --key RECIPIENT_PRIVATE_JWK_FILE --play [--recipient-id ID]
    [--format auto|hls|dash] [--rendition NAME] [--no-open] [--port N] [--api URL] [--api-key KEY]`;

const FORMATS = ['auto', 'hls', 'dash'] as const;

/** `receive ... --play`'s arguments (argv without the command name). */
export function parsePlayArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): PlayOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      play: { type: 'boolean' },
      key: { type: 'string' },
      'recipient-id': { type: 'string' },
      format: { type: 'string', default: 'auto' },
      rendition: { type: 'string' },
      'no-open': { type: 'boolean' },
      port: { type: 'string' },
      api: { type: 'string', default: env['AIRLOCK_API_URL'] ?? 'http://127.0.0.1:3000' },
      'api-key': { type: 'string', default: env['AIRLOCK_API_KEY'] ?? 'airlock-dev-key' },
    },
  });
  if (positionals.length !== 1) throw new Error(`receive --play needs exactly one MEDIA_ID\n${PLAY_USAGE}`);
  if (!values.key) throw new Error(`receive --play needs --key RECIPIENT_PRIVATE_JWK_FILE\n${PLAY_USAGE}`);
  const format = FORMATS.find((f) => f === values.format);
  if (!format) throw new Error(`--format is one of ${FORMATS.join(', ')}\n${PLAY_USAGE}`);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new Error(`--port ${values.port} is not a port`);
  return {
    mediaId: positionals[0],
    keyFile: values.key,
    recipientId: values['recipient-id'],
    apiUrl: values.api,
    apiKey: values['api-key'],
    format,
    rendition: values.rendition,
    open: !values['no-open'],
    port,
  };
}

/**
 * The recipient plays a media in a browser: the example page (examples/player) and the SDK's
 * player bundle served on 127.0.0.1, the media view and the recipient's private key handed to the
 * page once through a token in the URL's fragment. The key is unwrapped in the page, never
 * printed. Serves until the returned server is closed.
 */
export async function play(opts: PlayOptions, deps: PlayDeps): Promise<PlayServer> {
  const bundleDir = join(deps.root, PLAYER_BUNDLE_DIR);
  if (!existsSync(join(bundleDir, PLAYER_BUNDLE_ENTRY))) throw new Error('the player bundle is not built yet: run `npx nx run client-sdk:bundle-player` (or `npx nx run-many -t build`)');
  const { id: fileId, privateJwk } = readPrivateJwkFile(opts.keyFile);
  const recipientId = opts.recipientId ?? fileId;
  if (!recipientId) throw new Error('the key file names no recipient id: pass --recipient-id');

  const media = await deps.client.getMedia(opts.mediaId);
  if (media.state !== 'ready' || !media.manifests) throw new Error(`media ${media.id} is ${media.state}, not ready`);
  if (!media.keys.some((k) => k.recipientId === recipientId)) throw new Error(`recipient ${recipientId} is not a recipient of media ${media.id}`);

  const server = await startPlayServer({
    pagePath: join(deps.root, 'examples/player/index.html'),
    bundleDir,
    port: opts.port,
    session: { media, apiBaseUrl: opts.apiUrl, key: { recipientId, privateJwk }, format: opts.format, ...(opts.rendition ? { rendition: opts.rendition } : {}) },
  });
  deps.print(`playing media ${media.id} at ${server.url}`);
  deps.print('the link works once (it hands the page your key); Ctrl-C stops the server');
  if (opts.open && !(await deps.openBrowser(server.url))) deps.print('could not open a browser: open the link yourself');
  return server;
}

/** xdg-open, open or start, detached; false when it cannot be run. */
export function openBrowser(url: string): Promise<boolean> {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/** The repository this command runs in, else the one its build sits in (run from elsewhere through tools/airlock-cli). */
function repositoryRoot(): string {
  try {
    return workspaceRoot();
  } catch {
    return workspaceRoot(__dirname);
  }
}

export function defaultPlayDeps(opts: PlayOptions): PlayDeps {
  return {
    client: new AirlockClient({ baseUrl: opts.apiUrl, apiKey: opts.apiKey }),
    root: repositoryRoot(),
    openBrowser,
    print: (line) => process.stdout.write(`${line}\n`),
  };
}

import { parseArgs } from 'node:util';
import { down, storageServer, up } from './commands/stack.command';
import { transcode } from './commands/transcode.command';
import { parseSendArgs, send } from './commands/send.command';
import { defaultReceiveDeps, parseReceiveArgs, receive } from './commands/receive.command';
import { defaultPlayDeps, parsePlayArgs, play } from './commands/play.command';
import { join } from 'node:path';
import { AirlockClient } from '@airlock/client-sdk';
import { deploymentEnv, stateDir, workspaceRoot } from '@airlock/devstack';

const USAGE = `airlock <command>

  up                         start the local stack (Postgres/Redis if stopped, s3rver, migrations, 5 services)
  down                       stop what \`up\` started
  transcode FILE             create a media, upload FILE, wait for ready, print the HLS and DASH URLs
      --profiles 240p,360p   choose profiles by name (default ladder otherwise)
  status MEDIA_ID            print the media's state
  send FILE --to PUBLIC_JWK_FILE [--recipient-id ID] [--profiles 240p,360p]
                             seal FILE, create a media for that recipient, upload it, print the media id
  receive MEDIA_ID --key PRIVATE_JWK_FILE [--recipient-id ID] --out FILE.mp4
                             unwrap the key, download the best rendition + audio, decrypt, mux to FILE.mp4
  receive MEDIA_ID --key PRIVATE_JWK_FILE --play [--format auto|hls|dash] [--rendition NAME] [--no-open]
                             play it in a browser: serve the example player page on 127.0.0.1, hand it the
                             media and the key once, open it
      (send/receive take the API key as --api-key: there --key is the recipient's private key)
  keys                       print fresh keys and credentials (tenant key, operator login, store and Postgres
                             passwords, all random) as .env lines, for docker compose and Kubernetes secrets

  --api URL   (env AIRLOCK_API_URL, default http://127.0.0.1:3000)
  --key KEY   (env AIRLOCK_API_KEY, default airlock-dev-key)
`;

async function main(argv: string[]): Promise<void> {
  // send and receive have their own options (receive's --key is the recipient's private key).
  if (argv[0] === 'send') {
    process.stdout.write(`${await send(parseSendArgs(argv.slice(1)))}\n`);
    return;
  }
  if (argv[0] === 'receive' && argv.includes('--play')) {
    const opts = parsePlayArgs(argv.slice(1));
    const server = await play(opts, defaultPlayDeps(opts));
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    return server.close();
  }
  if (argv[0] === 'receive') {
    const opts = parseReceiveArgs(argv.slice(1));
    const { out, resolution } = await receive(opts, defaultReceiveDeps(opts));
    process.stdout.write(`wrote ${out}${resolution ? ` (${resolution})` : ''}\n`);
    return;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: 'string', default: process.env['AIRLOCK_API_URL'] ?? 'http://127.0.0.1:3000' },
      key: { type: 'string', default: process.env['AIRLOCK_API_KEY'] ?? 'airlock-dev-key' },
      profiles: { type: 'string' },
      timeout: { type: 'string', default: '900' },
      help: { type: 'boolean', short: 'h' },
      // storage-server (started by `up`)
      endpoint: { type: 'string' },
      bucket: { type: 'string' },
      dir: { type: 'string' },
    },
  });
  const [command, arg] = positionals;
  switch (values.help ? 'help' : command) {
    case 'up':
      return up();
    case 'down':
      return down();
    case 'storage-server':
      if (!values.endpoint || !values.bucket || !values.dir) throw new Error('storage-server needs --endpoint, --bucket and --dir');
      return storageServer({ endpoint: values.endpoint, bucket: values.bucket, dir: values.dir });
    case 'transcode':
      if (!arg) throw new Error('transcode needs a FILE');
      await transcode({
        file: arg,
        apiUrl: values.api,
        apiKey: values.key,
        profiles: values.profiles?.split(','),
        timeoutSec: Number(values.timeout),
        recipientFile: join(stateDir(workspaceRoot()), 'recipient.json'),
      });
      return;
    case 'keys': {
      // Single-quoted for docker compose's .env parser: JWK JSON holds no single quotes.
      const env = await deploymentEnv();
      process.stdout.write(Object.entries(env).map(([k, v]) => `${k}='${v}'`).join('\n') + '\n');
      return;
    }
    case 'status': {
      if (!arg) throw new Error('status needs a MEDIA_ID');
      const media = await new AirlockClient({ baseUrl: values.api, apiKey: values.key }).getMedia(arg);
      process.stdout.write(`${JSON.stringify(media, null, 2)}\n`);
      return;
    }
    default:
      process.stdout.write(USAGE);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`airlock: ${e.message}\n`);
    process.exit(1);
  },
);

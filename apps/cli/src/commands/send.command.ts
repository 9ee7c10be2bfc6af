import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AirlockClient } from '@airlock/client-sdk';
import { sealFile, uploadFile } from '@airlock/client-sdk/node';
import { readPublicJwkFile } from './jwk-file';

export interface SendOptions {
  readonly file: string;
  /** Recipient public JWK file (bare JWK or an identity file with `publicJwk`). */
  readonly to: string;
  readonly recipientId?: string;
  readonly profiles?: string[];
  readonly apiUrl: string;
  readonly apiKey: string;
}

export const SEND_USAGE = `airlock send FILE --to RECIPIENT_PUBLIC_JWK_FILE [--recipient-id ID] [--profiles 240p,360p]
    [--api URL] [--api-key KEY]`;

/** `send FILE --to JWK [--recipient-id ID] [--profiles a,b]`. */
export function parseSendArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): SendOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      'recipient-id': { type: 'string' },
      profiles: { type: 'string' },
      api: { type: 'string', default: env['AIRLOCK_API_URL'] ?? 'http://127.0.0.1:3000' },
      'api-key': { type: 'string', default: env['AIRLOCK_API_KEY'] ?? 'airlock-dev-key' },
    },
  });
  if (positionals.length !== 1) throw new Error(`send needs exactly one FILE\n${SEND_USAGE}`);
  if (!values.to) throw new Error(`send needs --to RECIPIENT_PUBLIC_JWK_FILE\n${SEND_USAGE}`);
  const profiles = values.profiles
    ?.split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  return { file: positionals[0], to: values.to, recipientId: values['recipient-id'], profiles: profiles?.length ? profiles : undefined, apiUrl: values.api, apiKey: values['api-key'] };
}

/** Seal FILE to the pipeline key, create the media for one recipient, upload, upload-complete. Returns the media id. */
export async function send(opts: SendOptions, client = new AirlockClient({ baseUrl: opts.apiUrl, apiKey: opts.apiKey })): Promise<string> {
  const recipient = readPublicJwkFile(opts.to);
  const recipientId = opts.recipientId ?? recipient.id;
  if (!recipientId) throw new Error('the key file names no recipient id: pass --recipient-id');
  const scratch = await mkdtemp(join(tmpdir(), 'airlock-send-'));
  try {
    const sealedPath = join(scratch, 'source.sealed');
    const source = await sealFile(opts.file, sealedPath, await client.pipelineKey());
    const created = await client.createMedia({ profiles: opts.profiles, recipients: [{ id: recipientId, publicJwk: recipient.publicJwk }], source });
    await uploadFile(created.upload, sealedPath);
    await client.uploadComplete(created.id);
    return created.id;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// Seal one source for the control-plane benchmarks, once: the real sender path of
// @airlock/client-sdk (content key, chunked AES-256-GCM, key wrapped to the pipeline's key),
// and a recipient key pair. Prints {source, sealedPath, recipient} as JSON; the benchmarks
// then create many media from these bytes with plain HTTP (bench/lib/cp-media.mjs).
// Run through ts-node (bench/lib/cp-media.mjs does): node -r ts-node/register -r tsconfig-paths/register bench/lib/cp-seal.ts FILE OUT API_URL API_KEY
import { AirlockClient } from '@airlock/client-sdk';
import { sealFile } from '@airlock/client-sdk/node';
import { generateX25519KeyPair } from '@airlock/crypto';

async function main(): Promise<void> {
  const [file, out, apiUrl, apiKey] = process.argv.slice(2);
  const client = new AirlockClient({ baseUrl: apiUrl, apiKey });
  const source = await sealFile(file, out, await client.pipelineKey());
  const recipient = await generateX25519KeyPair('bench-recipient');
  process.stdout.write(JSON.stringify({ source, sealedPath: out, recipient: { id: 'bench-recipient', publicJwk: recipient.publicJwk } }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

import { JobName, ManifestResult, PayloadOf, verificationSchema } from '@airlock/contracts';
import { JobContext } from '@airlock/queue';
import { ObjectStore } from '@airlock/storage';
import { ManifestInputError, writeManifests } from './manifest';

/**
 * HLS and DASH for the verified renditions, from the workers' facts alone (no media bytes).
 * Files go under a per-job version directory that nothing points at until publish flips the
 * media, so a half-written set is never visible.
 */
export class ManifestHandler {
  constructor(private readonly store: ObjectStore) {}

  async handle(data: PayloadOf<typeof JobName.ManifestWrite>, ctx: JobContext): Promise<ManifestResult> {
    const [value] = await ctx.childrenValues();
    const verification = verificationSchema.parse(value);
    // Refused outputs pass up untouched: the publish step sends their tasks to run again.
    if (!verification.ok) return { ok: false, code: verification.code, message: verification.failures.join('; '), ...(verification.rejected ? { rejected: verification.rejected } : {}) };

    // Chat files are delivered as they are, not streamed: manifests list the streams only.
    const streams = verification.streams.filter((s) => s.type !== 'file');
    const segments = verification.outputs.filter((o) => o.kind !== 'file');
    let written;
    try {
      written = await writeManifests({ mediaId: data.mediaId, version: data.version, streams, outputs: segments });
    } catch (e) {
      if (e instanceof ManifestInputError) return { ok: false, code: 'manifest_invalid', message: e.message };
      throw e;
    }
    // Media playlists and the MPD first, the master last: a reader that finds the master finds everything.
    const files = [...written.files.filter((f) => f.key !== written.hlsKey), ...written.files.filter((f) => f.key === written.hlsKey)];
    for (const f of files) await this.store.putBuffer(f.key, f.body, f.contentType);
    return {
      ok: true,
      version: data.version,
      hlsKey: written.hlsKey,
      dashKey: written.dashKey,
      outputs: verification.outputs,
      renditions: written.renditions,
    };
  }
}

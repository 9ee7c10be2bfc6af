import { JobName, ManifestResult, PayloadOf, verificationSchema } from '@airlock/contracts';
import { JobContext, TerminalError } from '@airlock/queue';
import { ObjectConflictError, ObjectStore } from '@airlock/storage';
import { ManifestInputError, writeManifests } from './manifest';

/**
 * HLS and DASH for the verified renditions, from the workers' facts alone (no media bytes).
 * Files go under a per-job version directory that nothing points at until publish flips the
 * media, so a half-written set is never visible, and each is written once (create-only,
 * checksum-bound): a published manifest cannot be rewritten through the store.
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
    // Write-once and bound to their bytes: a re-run for the same version finds each file already
    // there with the same bytes and goes on; other bytes under a version mean two different
    // presentations claim it, which no retry mends: the job fails loudly, nothing is overwritten.
    try {
      for (const f of files) await this.store.putBufferOnce(f.key, f.body, f.contentType);
    } catch (e) {
      if (e instanceof ObjectConflictError) throw new TerminalError('manifest_conflict', e.message);
      throw e;
    }
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

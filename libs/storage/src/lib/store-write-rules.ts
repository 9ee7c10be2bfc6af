import { createHash } from 'node:crypto';

/** The slice of s3rver's filesystem store the write rules use. */
export interface LocalStoreFiles {
  existsObject(bucket: string, key: string): Promise<boolean>;
  getObject(bucket: string, key: string): Promise<{ content: AsyncIterable<Buffer> | null } | null>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

interface WriteContext {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly req: NodeJS.ReadableStream & { readonly complete: boolean };
  readonly store: LocalStoreFiles;
  readonly status: number;
}

export interface WriteRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * What S3 and MinIO do on writes and s3rver does not, for the local store: a PUT with
 * `If-None-Match: *` creates or fails 412 (create-only: an uploaded source cannot be rewritten),
 * and a PUT with `x-amz-checksum-sha256` keeps its bytes only if they hash to it (BadDigest) and
 * are as long as its Content-Length. s3rver writes in place as bytes arrive, so the body is
 * checked once written and removed when it fails; until a create-only object is whole and checked
 * it reads as absent (S3 shows an object only once its PUT completed), and an interrupted one is
 * removed, so a retry can create it.
 */
export class StoreWriteRules {
  /** `bucket/key` of create-only PUTs under way in this process. */
  private readonly creating = new Set<string>();

  async apply(ctx: WriteContext, target: { bucket: string; key: string }, next: () => Promise<unknown>): Promise<WriteRefusal | undefined> {
    const id = `${target.bucket}/${target.key}`;
    if (ctx.method === 'GET' || ctx.method === 'HEAD') {
      if (this.creating.has(id)) return { status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.' };
      await next();
      return undefined;
    }
    if (ctx.method !== 'PUT' || header(ctx.headers['x-amz-copy-source']) !== undefined || isPartUpload(ctx)) {
      await next();
      return undefined;
    }
    const checksum = header(ctx.headers['x-amz-checksum-sha256']);
    if (checksum !== undefined && Buffer.from(checksum, 'base64').length !== 32) {
      return { status: 400, code: 'InvalidRequest', message: 'x-amz-checksum-sha256 must be the base64 of a sha256' };
    }
    const condition = header(ctx.headers['if-none-match']);
    if (condition !== undefined && condition !== '*') return { status: 501, code: 'NotImplemented', message: 'Only If-None-Match: * is supported on PUT' };
    const createOnly = condition === '*';
    if (createOnly) {
      const preconditionFailed = { status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold' };
      // Claimed before the store is asked, so two concurrent creates cannot both pass.
      if (this.creating.has(id)) return preconditionFailed;
      this.creating.add(id);
      const exists = await ctx.store.existsObject(target.bucket, target.key).catch((e: unknown) => {
        this.creating.delete(id);
        throw e;
      });
      if (exists) {
        this.creating.delete(id);
        return preconditionFailed;
      }
    }
    try {
      const finished = await writtenOrAborted(ctx, next).catch(async (e: unknown) => {
        // A failed create leaves nothing half-written behind (the next create must not meet it).
        if (createOnly) await ctx.store.deleteObject(target.bucket, target.key).catch(() => undefined);
        throw e;
      });
      if (finished === 'aborted') {
        if (createOnly) await ctx.store.deleteObject(target.bucket, target.key);
        return undefined;
      }
      if (ctx.status !== 200 || checksum === undefined) return undefined;
      const problem = await this.checkWritten(ctx, target, checksum);
      if (!problem) return undefined;
      await ctx.store.deleteObject(target.bucket, target.key);
      return problem;
    } finally {
      this.creating.delete(id);
    }
  }

  private async checkWritten(ctx: WriteContext, target: { bucket: string; key: string }, checksum: string): Promise<WriteRefusal | undefined> {
    const object = await ctx.store.getObject(target.bucket, target.key);
    const hash = createHash('sha256');
    let length = 0;
    for await (const chunk of object?.content ?? []) {
      hash.update(chunk);
      length += chunk.length;
    }
    const declared = header(ctx.headers['content-length']);
    if (declared !== undefined && Number(declared) !== length) {
      return { status: 400, code: 'IncompleteBody', message: `The body has ${length} bytes; Content-Length says ${declared}` };
    }
    if (hash.digest('base64') !== Buffer.from(checksum, 'base64').toString('base64')) {
      return { status: 400, code: 'BadDigest', message: 'The SHA256 you specified did not match the calculated checksum.' };
    }
    return undefined;
  }
}

/**
 * s3rver's PUT never settles when the client goes away mid-body (its write pipe waits forever):
 * the request's own end decides. 'aborted' when the body did not arrive whole.
 */
async function writtenOrAborted(ctx: WriteContext, next: () => Promise<unknown>): Promise<'written' | 'aborted'> {
  let onClose: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onClose = () => {
      if (!ctx.req.complete) resolve('aborted');
    };
    ctx.req.once('close', onClose);
  });
  try {
    return await Promise.race([next().then(() => 'written' as const), aborted]);
  } finally {
    if (onClose) ctx.req.removeListener('close', onClose);
  }
}

function isPartUpload(ctx: WriteContext): boolean {
  return /[?&](partNumber|uploadId)=/.test(ctx.url);
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

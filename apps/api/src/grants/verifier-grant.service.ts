import { Inject, Injectable } from '@nestjs/common';
import type { JWK } from 'jose';
import { VerifierGrantResponse } from '@airlock/contracts';
import { unwrapKey, verifyVerifierToken, wrapKey } from '@airlock/crypto';
import { appendEvent } from '@airlock/db';
import { API_DEPS, ApiDeps } from '../api.deps';
import { ApiError } from '../http/api-error';

/** A verifier grant lives no longer than this: enough to decode one job's outputs. */
const MAX_VERIFIER_TTL_SEC = 600;

/**
 * The verifier's own grant for deep checks: the media's output key (never the content key),
 * re-wrapped to the verifier's ephemeral key, only for a job whose tenant policy lets the
 * verifier decrypt, and only while that media is being verified. Every grant and refusal is a
 * timeline event.
 */
@Injectable()
export class VerifierGrantService {
  constructor(@Inject(API_DEPS) private readonly deps: ApiDeps) {}

  async exchange(token: string, ephemeralPublicJwk: JWK): Promise<VerifierGrantResponse> {
    const keys = this.deps.config.VERIFIER_PUBLIC_JWKS as unknown as JWK[] | undefined;
    if (!keys) throw new ApiError(403, 'verifier_grants_disabled', 'This api issues no verifier grants (VERIFIER_PUBLIC_JWKS is unset).');
    const claims = await verifyVerifierToken(token, keys, MAX_VERIFIER_TTL_SEC, this.deps.config.GRANT_CLOCK_SKEW_SEC);
    if (!claims) throw new ApiError(401, 'token_invalid', 'Not a live verifier token.');
    const job = await this.deps.db.job.findUnique({ where: { id: claims.jobId }, include: { media: true } });
    if (!job || job.mediaId !== claims.mediaId) throw new ApiError(403, 'job_not_in_media', 'The job does not belong to that media.');
    const refuse = async (status: number, code: string, message: string) => {
      await appendEvent(this.deps.db, { mediaId: job.mediaId, jobId: job.id, type: 'verifier_grant_refused', reason: code });
      return new ApiError(status, code, message);
    };
    if (!(job.policy as { verifier_may_decrypt?: boolean } | null)?.verifier_may_decrypt) throw await refuse(403, 'policy_forbids', "The tenant's policy does not let the verifier decrypt.");
    if (job.media.state !== 'verifying' && job.media.state !== 'processing' && job.media.state !== 'preview_ready') {
      throw await refuse(409, 'media_not_verifying', `The media is ${job.media.state}.`);
    }
    const key = await unwrapKey(job.media.outputKeyJwe, this.deps.pipelineKey.privateJwk);
    try {
      const outputKeyJwe = await wrapKey(key, ephemeralPublicJwk);
      await appendEvent(this.deps.db, { mediaId: job.mediaId, jobId: job.id, type: 'verifier_grant_issued', reason: 'deep_checks', data: { verifyJob: claims.verifyJob } });
      return { expiresAt: claims.expiresAt.toISOString(), outputKeyJwe, outputKeyId: job.media.outputKeyId };
    } finally {
      key.fill(0);
    }
  }
}

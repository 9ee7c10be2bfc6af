import { z } from 'zod';
import {
  createMediaResponseSchema,
  createMediaSchema,
  deadLetterRedriveSchema,
  grantRequestSchema,
  grantResponseSchema,
  heartbeatRequestSchema,
  heartbeatResponseSchema,
  jwksSchema,
  listMediaQuerySchema,
  mediaListSchema,
  mediaStateResponseSchema,
  mediaTimelineSchema,
  mediaViewSchema,
  quarantineClearedSchema,
  quarantinedWorkersSchema,
  releaseRequestSchema,
  releaseResponseSchema,
  text,
  uploadRequestSchema,
  uploadResponseSchema,
  verifierGrantRequestSchema,
  verifierGrantResponseSchema,
  webhookDeliveryListSchema,
  webhookEndpointCreatedSchema,
  webhookEndpointRequestSchema,
  webhookEndpointViewSchema,
  webhookReplayRequestSchema,
  webhookReplayResponseSchema,
} from '@airlock/contracts';
import type { JobTokenRefusal } from '@airlock/crypto';

/**
 * Every route the api serves, as data: what it takes (path params, query, headers, body), what
 * it answers, and every error code it can answer. Controllers validate their input with these
 * schemas and the OpenAPI document (/docs/openapi.json) is built from this table alone, so the
 * two cannot drift; a test checks that every mounted route is here and that every error the
 * routes answer to malformed input is listed.
 */
export interface ApiRoute {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI form: `/v1/media/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: 'media' | 'webhooks' | 'keys' | 'grants' | 'admin' | 'health';
  /** tenant: `Authorization: Bearer <tenant key>`; operator: basic auth; token: a signed token in the body. */
  readonly auth: 'tenant' | 'operator' | 'token' | 'none';
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** Header names in lower case. */
  readonly headers?: z.ZodObject;
  readonly body?: z.ZodType;
  /** false: the body may be left out (it defaults to `{}`). */
  readonly bodyRequired?: boolean;
  readonly success: { readonly status: 200 | 201 | 202; readonly description: string; readonly schema: z.ZodType | 'text' };
  /** Bodiless answers besides the success (a long poll's 304). */
  readonly also?: Readonly<Record<number, string>>;
  /** status -> the error codes answered with it (`{ "error": { "code", "message", "details"? } }`). */
  readonly errors: Readonly<Record<number, readonly string[]>>;
}

/** The longest a GET holds its answer for a change (RFC 7240 `Prefer: wait=<seconds>`). */
export const MAX_WAIT_SEC = 30;

/** A media id in a path: a uuid; anything else is answered as not found, like another tenant's media. */
const mediaIdParams = z.object({ id: text.max(200).meta({ description: 'The media id (a uuid)' }) });
const grantIdParams = z.object({ id: text.max(200).meta({ description: 'The grant id from the exchange (a uuid)' }) });

/** How each token refusal (libs/crypto) is answered, as `token_<reason>`; a Record, so a new refusal must be placed here. */
const TOKEN_REFUSALS: Record<JobTokenRefusal, 401 | 403> = {
  bad_signature: 401,
  expired: 401,
  malformed: 401,
  issued_in_future: 401,
  wrong_audience: 403,
  ttl_too_long: 403,
};
const tokenCodes = (status: 401 | 403) =>
  Object.entries(TOKEN_REFUSALS)
    .filter(([, s]) => s === status)
    .map(([reason]) => `token_${reason}`);

type Errors = Readonly<Record<number, readonly string[]>>;

/** The codes of several sources merged by status. */
function errors(...sets: Errors[]): Errors {
  const merged: Record<number, string[]> = {};
  for (const set of sets) {
    for (const [status, codes] of Object.entries(set)) merged[Number(status)] = [...new Set([...(merged[Number(status)] ?? []), ...codes])];
  }
  return merged;
}

/** Any input: a field the schema refuses. */
const INVALID: Errors = { 400: ['invalid_request'] };
/** A JSON body: not JSON, over the 64 kB body limit, or in a charset or encoding the parser does not read. */
const BODY: Errors = { 400: ['invalid_request', 'invalid_json'], 413: ['request_too_large'], 415: ['unsupported_encoding'] };
const TENANT: Errors = { 401: ['unauthorized'] };
const OPERATOR: Errors = { 401: ['unauthorized'] };
/** Per-tenant and per-source-address limits on every public route. */
const LIMITED: Errors = { 429: ['rate_limited'] };
const MEDIA_NOT_FOUND: Errors = { 404: ['not_found'] };
const JOB_TOKEN: Errors = { 401: tokenCodes(401), 403: tokenCodes(403) };
/** A grant held by a job token, looked up for uploads, heartbeats and release. */
const LIVE_GRANT: Errors = { 401: ['grant_expired'], 403: ['grant_mismatch', 'grant_revoked'], 409: ['media_not_processing'] };

const mediaState = { status: 202, description: 'The media and its state', schema: mediaStateResponseSchema } as const;

export const apiRoutes = {
  createMedia: {
    method: 'post',
    path: '/v1/media',
    tag: 'media',
    auth: 'tenant',
    summary: 'Create a media and get a presigned upload URL',
    headers: z.object({ 'idempotency-key': text.min(1).max(200).optional().meta({ description: 'Repeats with the same key answer the same media' }) }),
    body: createMediaSchema,
    success: { status: 201, description: 'The media, and where to PUT its sealed source', schema: createMediaResponseSchema },
    errors: errors(BODY, TENANT, LIMITED, {
      413: ['media_too_large'],
      422: ['unknown_profile', 'profile_not_allowed', 'duplicate_recipient', 'content_key_invalid'],
      429: ['quota_exceeded'],
    }),
  },
  listMedia: {
    method: 'get',
    path: '/v1/media',
    tag: 'media',
    auth: 'tenant',
    summary: "The tenant's media, newest first (ids and states only), optionally for one room",
    query: listMediaQuerySchema,
    success: { status: 200, description: 'One page; nextCursor continues after it', schema: mediaListSchema },
    errors: errors(INVALID, TENANT, LIMITED),
  },
  redriveMedia: {
    method: 'post',
    path: '/v1/media/{id}/redrive',
    tag: 'media',
    auth: 'tenant',
    summary: 'Re-drive a media in failed_retryable: done tasks stay done, failed ones run again',
    params: mediaIdParams,
    success: mediaState,
    errors: errors(INVALID, TENANT, LIMITED, MEDIA_NOT_FOUND, { 409: ['not_redrivable'] }),
  },
  completeUpload: {
    method: 'post',
    path: '/v1/media/{id}/upload-complete',
    tag: 'media',
    auth: 'tenant',
    summary: 'Tell the pipeline the upload finished; starts processing',
    params: mediaIdParams,
    success: mediaState,
    errors: errors(INVALID, TENANT, LIMITED, MEDIA_NOT_FOUND, { 409: ['upload_missing', 'upload_incomplete'], 422: ['source_mismatch'] }),
  },
  getMedia: {
    method: 'get',
    path: '/v1/media/{id}',
    tag: 'media',
    auth: 'tenant',
    summary: 'State, progress, renditions and manifest URLs when ready; with If-None-Match and Prefer: wait=N, held until it changes (long poll), 304 if it did not',
    params: mediaIdParams,
    headers: z.object({
      'if-none-match': z.string().optional().meta({ description: 'The ETag of the view the caller has' }),
      prefer: z.string().optional().meta({ description: `wait=<seconds> (at most ${MAX_WAIT_SEC}): hold the answer until the view differs from If-None-Match` }),
    }),
    success: { status: 200, description: 'The media view, with its ETag', schema: mediaViewSchema },
    also: { 304: 'The view still matches If-None-Match (after the wait, if one was asked for)' },
    errors: errors(INVALID, TENANT, LIMITED, MEDIA_NOT_FOUND),
  },
  mediaTimeline: {
    method: 'get',
    path: '/v1/media/{id}/timeline',
    tag: 'media',
    auth: 'tenant',
    summary: 'Explain timeline for support: states, decisions, reasons; never content',
    params: mediaIdParams,
    success: { status: 200, description: 'Events, attempts and the verifier record', schema: mediaTimelineSchema },
    errors: errors(INVALID, TENANT, LIMITED, MEDIA_NOT_FOUND),
  },
  deleteMedia: {
    method: 'delete',
    path: '/v1/media/{id}',
    tag: 'media',
    auth: 'tenant',
    summary: 'Delete the media: cancels processing and purges every object',
    params: mediaIdParams,
    success: mediaState,
    errors: errors(INVALID, TENANT, LIMITED, MEDIA_NOT_FOUND),
  },
  setWebhookEndpoint: {
    method: 'put',
    path: '/v1/webhook-endpoint',
    tag: 'webhooks',
    auth: 'tenant',
    summary: 'Set where events are delivered; answers a fresh signing secret, shown this once',
    body: webhookEndpointRequestSchema,
    success: { status: 200, description: 'The endpoint and its signing secret (shown this once)', schema: webhookEndpointCreatedSchema },
    errors: errors(BODY, TENANT, LIMITED, { 422: ['webhook_target_forbidden'] }),
  },
  getWebhookEndpoint: {
    method: 'get',
    path: '/v1/webhook-endpoint',
    tag: 'webhooks',
    auth: 'tenant',
    summary: 'The webhook endpoint, if any (never the secret)',
    success: { status: 200, description: 'The endpoint', schema: webhookEndpointViewSchema },
    errors: errors(TENANT, LIMITED),
  },
  clearWebhookEndpoint: {
    method: 'delete',
    path: '/v1/webhook-endpoint',
    tag: 'webhooks',
    auth: 'tenant',
    summary: 'Stop deliveries; events stay pending until an endpoint is set again',
    success: { status: 200, description: 'No endpoint', schema: webhookEndpointViewSchema },
    errors: errors(TENANT, LIMITED),
  },
  webhookDeliveries: {
    method: 'get',
    path: '/v1/media/{id}/webhooks',
    tag: 'webhooks',
    auth: 'tenant',
    summary: "The media's events and their delivery state",
    params: mediaIdParams,
    success: { status: 200, description: 'The events, in order', schema: webhookDeliveryListSchema },
    errors: errors(INVALID, TENANT, LIMITED, MEDIA_NOT_FOUND),
  },
  replayWebhooks: {
    method: 'post',
    path: '/v1/media/{id}/webhooks/replay',
    tag: 'webhooks',
    auth: 'tenant',
    summary: 'Send the media events again from fromSeq (all by default), same ids and seqs',
    params: mediaIdParams,
    body: webhookReplayRequestSchema,
    bodyRequired: false,
    success: { status: 202, description: 'How many events go out again', schema: webhookReplayResponseSchema },
    errors: errors(BODY, TENANT, LIMITED, MEDIA_NOT_FOUND),
  },
  pipelineKeys: {
    method: 'get',
    path: '/v1/keys',
    tag: 'keys',
    auth: 'none',
    summary: 'JWKS of the pipeline key (X25519, ECDH-ES+A256KW): senders wrap each content key to it',
    success: { status: 200, description: 'The pipeline public key', schema: jwksSchema },
    errors: errors(LIMITED),
  },
  exchangeGrant: {
    method: 'post',
    path: '/v1/grants',
    tag: 'grants',
    auth: 'token',
    summary: 'Workers: exchange a job token and an ephemeral public key for a grant',
    body: grantRequestSchema,
    success: { status: 201, description: 'The grant: keys wrapped to the ephemeral key, and the source URL', schema: grantResponseSchema },
    errors: errors(BODY, LIMITED, JOB_TOKEN, {
      403: ['worker_quarantined', 'task_not_in_media', 'token_ttl_too_long'],
      409: ['media_not_processing', 'task_already_done', 'needs_other_worker', 'token_replayed', 'content_key_unavailable'],
    }),
  },
  grantUploads: {
    method: 'post',
    path: '/v1/grants/{id}/uploads',
    tag: 'grants',
    auth: 'token',
    summary: 'Workers: presigned PUTs for exactly the output keys the grant covers',
    params: grantIdParams,
    body: uploadRequestSchema,
    success: { status: 201, description: 'One presigned PUT per file', schema: uploadResponseSchema },
    errors: errors(BODY, LIMITED, JOB_TOKEN, LIVE_GRANT, { 403: ['outside_grant'] }),
  },
  grantHeartbeat: {
    method: 'post',
    path: '/v1/grants/{id}/heartbeat',
    tag: 'grants',
    auth: 'token',
    summary: 'Workers: a running attempt is alive; the answer says whether it may go on',
    params: grantIdParams,
    body: heartbeatRequestSchema,
    success: { status: 200, description: 'Go on, or stop (with the reason)', schema: heartbeatResponseSchema },
    errors: errors(BODY, LIMITED, JOB_TOKEN, { 401: ['grant_expired'] }),
  },
  releaseGrant: {
    method: 'delete',
    path: '/v1/grants/{id}',
    tag: 'grants',
    auth: 'token',
    summary: 'Workers: release a grant when the attempt ends, with its outcome',
    params: grantIdParams,
    body: releaseRequestSchema,
    success: { status: 200, description: 'Released', schema: releaseResponseSchema },
    errors: errors(BODY, LIMITED, JOB_TOKEN, { 403: ['grant_mismatch'] }),
  },
  exchangeVerifierGrant: {
    method: 'post',
    path: '/v1/verifier-grants',
    tag: 'grants',
    auth: 'token',
    summary: "The verifier: exchange its token and an ephemeral key for the media's output key (deep checks)",
    body: verifierGrantRequestSchema,
    success: { status: 200, description: 'The output key, wrapped to the ephemeral key', schema: verifierGrantResponseSchema },
    errors: errors(BODY, LIMITED, {
      401: ['token_invalid'],
      403: ['verifier_grants_disabled', 'job_not_in_media', 'policy_forbids'],
      409: ['media_not_verifying'],
    }),
  },
  redriveDeadLetter: {
    method: 'post',
    path: '/admin/dead-letters/{jobId}/redrive',
    tag: 'admin',
    auth: 'operator',
    summary: "Operators: re-drive the media a dead letter belongs to (as the tenant's re-drive) and remove the dead letter",
    params: z.object({ jobId: text.max(400).meta({ description: 'The dead letter id, as the board shows it' }) }),
    success: { status: 202, description: 'The media, queued again', schema: deadLetterRedriveSchema },
    errors: errors(INVALID, OPERATOR, LIMITED, { 404: ['not_found'], 409: ['not_redrivable'] }),
  },
  quarantinedWorkers: {
    method: 'get',
    path: '/admin/workers/quarantined',
    tag: 'admin',
    auth: 'operator',
    summary: 'Operators: workers in quarantine, with the reason and the attempt that put them there',
    success: { status: 200, description: 'Workers in quarantine, oldest first', schema: quarantinedWorkersSchema },
    errors: errors(OPERATOR, LIMITED),
  },
  clearQuarantine: {
    method: 'delete',
    path: '/admin/workers/{workerId}/quarantine',
    tag: 'admin',
    auth: 'operator',
    summary: 'Operators: clear a worker; it receives grants again at its next request',
    params: z.object({ workerId: text.min(1).max(200) }),
    success: { status: 200, description: 'Cleared', schema: quarantineClearedSchema },
    errors: errors(INVALID, OPERATOR, LIMITED, { 404: ['not_found'] }),
  },
  health: {
    method: 'get',
    path: '/health',
    tag: 'health',
    auth: 'none',
    summary: 'Liveness: the process answers',
    success: { status: 200, description: 'Alive', schema: z.object({ status: z.literal('ok') }) },
    errors: {},
  },
  ready: {
    method: 'get',
    path: '/ready',
    tag: 'health',
    auth: 'none',
    summary: 'Readiness: dependencies reachable and not shutting down (503 when not)',
    success: { status: 200, description: 'Ready', schema: z.object({ status: z.literal('ready'), accepting: z.boolean(), checks: z.record(z.string(), z.boolean()) }) },
    errors: { 503: ['internal'] },
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    tag: 'health',
    auth: 'none',
    summary: 'Prometheus metrics',
    success: { status: 200, description: 'The Prometheus text format', schema: 'text' },
    errors: {},
  },
} as const satisfies Record<string, ApiRoute>;

export type ApiRouteName = keyof typeof apiRoutes;

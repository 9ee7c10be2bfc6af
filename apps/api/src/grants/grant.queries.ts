import { randomUUID } from 'node:crypto';
import { VerifiedJobToken } from '@airlock/crypto';
import { PrismaClient } from '@airlock/db';

/**
 * The grant exchange's Postgres statements, written out. Every worker attempt runs them, and
 * each statement through Prisma's model API costs the api about 1 CPU-ms (its query compiler
 * plans it anew) and a round trip, whatever it returns. So each step here is one statement, and
 * the exchange's write one transaction of two: an exchange takes 5 round trips where it took 10
 * (BEGIN and COMMIT included), the upload URLs 1 where they took 2, a release 2 where it took 5.
 * Timestamps are passed in (the columns are UTC `timestamp`, as Prisma writes them), and
 * `updated_at` is set here where Prisma's @updatedAt would have set it.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids from tokens and paths are checked before they reach a `::uuid` cast (a bad one is not found, not a 500). */
export const isUuid = (id: string): boolean => UUID.test(id);

/** What the exchange judges: the worker's quarantine, the task with its job and media, and its twins. */
export interface ExchangeView {
  readonly quarantineReason: string | null;
  readonly task: {
    readonly id: string;
    readonly jobId: string;
    readonly state: string;
    readonly winningAttemptId: string | null;
    /** A duplicate must be done by another worker than its twin's, a refused output by one that has not voted on it. */
    readonly needsOtherWorker: boolean;
    readonly policy: { worker_key_ttl_seconds?: number } | null;
    readonly media: {
      readonly id: string;
      readonly state: string;
      readonly contentKeyJwe: string;
      readonly outputKeyJwe: string;
      readonly outputKeyId: string;
      readonly sourceKey: string;
      readonly sourceSha256: string;
      readonly sourceSizeBytes: bigint;
    };
  } | null;
}

interface ExchangeRow {
  quarantineReason: string | null;
  taskId: string | null;
  jobId: string;
  taskState: string;
  winningAttemptId: string | null;
  needsOtherWorker: boolean;
  policy: { worker_key_ttl_seconds?: number } | null;
  mediaId: string;
  mediaState: string;
  contentKeyJwe: string;
  outputKeyJwe: string;
  outputKeyId: string;
  sourceKey: string;
  sourceSha256: string;
  sourceSizeBytes: bigint;
}

/** One query: no row of the task (or one of another media or job) reads as `task: null`. */
export async function readExchange(db: PrismaClient, claims: VerifiedJobToken): Promise<ExchangeView> {
  const taskId = isUuid(claims.taskId) ? claims.taskId : null;
  const [row] = await db.$queryRaw<ExchangeRow[]>`
    SELECT
      (SELECT q.reason FROM worker_quarantines q WHERE q.worker_id = ${claims.workerId} AND q.cleared_at IS NULL LIMIT 1) AS "quarantineReason",
      t.id AS "taskId", t.job_id AS "jobId", t.state::text AS "taskState", t.winning_attempt_id AS "winningAttemptId",
      j.policy, m.id AS "mediaId", m.state::text AS "mediaState",
      m.content_key_jwe AS "contentKeyJwe", m.output_key_jwe AS "outputKeyJwe", m.output_key_id AS "outputKeyId",
      m.source_key AS "sourceKey", m.source_sha256 AS "sourceSha256", m.source_size_bytes AS "sourceSizeBytes",
      (twins.ids IS NOT NULL AND EXISTS (
        SELECT 1 FROM attempts a
        WHERE a.worker_id = ${claims.workerId}
          AND ((a.task_id = t.id AND a.state = 'rejected') OR (a.task_id = ANY (twins.ids) AND a.state IN ('running', 'succeeded')))
      )) AS "needsOtherWorker"
    FROM (SELECT 1) AS one
    LEFT JOIN tasks t ON t.id = ${taskId}::uuid
    LEFT JOIN jobs j ON j.id = t.job_id
    LEFT JOIN media m ON m.id = j.media_id
    LEFT JOIN LATERAL (
      SELECT array_agg(tw.id) AS ids FROM tasks tw
      WHERE tw.job_id = t.job_id AND tw.segment_index = t.segment_index AND tw.rendition = t.rendition AND tw.id <> t.id
    ) AS twins ON true`;
  if (!row.taskId || row.mediaId !== claims.mediaId || row.jobId !== claims.jobId) return { quarantineReason: row.quarantineReason, task: null };
  return {
    quarantineReason: row.quarantineReason,
    task: {
      id: row.taskId,
      jobId: row.jobId,
      state: row.taskState,
      winningAttemptId: row.winningAttemptId,
      needsOtherWorker: row.needsOtherWorker,
      policy: row.policy,
      media: {
        id: row.mediaId,
        state: row.mediaState,
        contentKeyJwe: row.contentKeyJwe,
        outputKeyJwe: row.outputKeyJwe,
        outputKeyId: row.outputKeyId,
        sourceKey: row.sourceKey,
        sourceSha256: row.sourceSha256,
        sourceSizeBytes: row.sourceSizeBytes,
      },
    },
  };
}

/**
 * The grant (living until `expiresAt`), its attempt row and the `grant_issued` event, in one
 * transaction of two statements.
 * The task is counted first: its row lock orders concurrent exchanges of one task, and the second
 * statement, which reads the attempt before (its number and lineage), runs after the lock with a
 * fresh snapshot, so it sees the attempt another exchange just committed. A replayed token fails
 * an insert on a unique key (`grants_jti_key`, `attempts_pkey`).
 */
export async function openGrant(
  db: PrismaClient,
  claims: VerifiedJobToken,
  task: { id: string; jobId: string; mediaId: string },
  expiresAt: Date,
  queueJob?: { queue: string; id: string },
): Promise<string> {
  const grantId = randomUUID();
  const now = new Date();
  const event = JSON.stringify({ taskId: task.id, attemptId: claims.attemptId, workerId: claims.workerId });
  await db.$transaction(async (tx) => {
    // Counts the attempt and, if queued, starts the task.
    await tx.$executeRaw`
      UPDATE tasks SET attempt_count = attempt_count + 1, updated_at = ${now},
        state = CASE WHEN state = 'queued' THEN 'running'::"TaskState" ELSE state END
      WHERE id = ${task.id}::uuid`;
    await tx.$executeRaw`
      WITH previous AS (
        SELECT id, number FROM attempts WHERE task_id = ${task.id}::uuid ORDER BY number DESC LIMIT 1
      ), granted AS (
        INSERT INTO grants (id, jti, media_id, task_id, attempt_id, worker_id, expires_at)
        VALUES (${grantId}::uuid, ${claims.jti}, ${task.mediaId}::uuid, ${task.id}::uuid, ${claims.attemptId}::uuid, ${claims.workerId}, ${expiresAt})
      ), opened AS (
        INSERT INTO attempts (id, task_id, number, previous_attempt_id, worker_id, started_at, heartbeat_at, queue, queue_job_id)
        SELECT ${claims.attemptId}::uuid, ${task.id}::uuid, COALESCE((SELECT number FROM previous), 0) + 1, (SELECT id FROM previous),
               ${claims.workerId}, ${now}, ${now}, ${queueJob?.queue ?? null}, ${queueJob?.id ?? null}
      )
      INSERT INTO events (media_id, job_id, type, reason, data, at)
      VALUES (${task.mediaId}::uuid, ${task.jobId}::uuid, 'grant_issued', 'grant_issued', ${event}::jsonb, ${now})`;
  });
  return grantId;
}

/** A grant as the calls that hold one see it: with its media's state and the task it covers. */
export interface GrantView {
  readonly id: string;
  readonly jti: string;
  readonly mediaId: string;
  readonly attemptId: string;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly mediaState: string;
  readonly task: { readonly kind: string; readonly rendition: string; readonly segmentIndex: number };
}

interface GrantRow extends Omit<GrantView, 'task'> {
  kind: string;
  rendition: string;
  segmentIndex: number;
}

export async function readGrant(db: PrismaClient, grantId: string): Promise<GrantView | null> {
  if (!isUuid(grantId)) return null;
  const [row] = await db.$queryRaw<GrantRow[]>`
    SELECT g.id, g.jti, g.media_id AS "mediaId", g.attempt_id AS "attemptId", g.expires_at AS "expiresAt", g.revoked_at AS "revokedAt",
           m.state::text AS "mediaState", t.kind::text AS kind, t.rendition, t.segment_index AS "segmentIndex"
    FROM grants g JOIN media m ON m.id = g.media_id JOIN tasks t ON t.id = g.task_id
    WHERE g.id = ${grantId}::uuid`;
  if (!row) return null;
  const { kind, rendition, segmentIndex, ...grant } = row;
  return { ...grant, task: { kind, rendition, segmentIndex } };
}

/**
 * The attempt ends: the grant is revoked and the attempt stamped finished, failed with its
 * reason when it failed (a successful one stays `running` until the record step counts it).
 * One statement, so both or neither.
 */
export async function closeGrant(db: PrismaClient, grant: { id: string; attemptId: string }, outcome?: { ok: boolean; code?: string }): Promise<void> {
  const now = new Date();
  const failed = outcome?.ok === false;
  await db.$executeRaw`
    WITH revoked AS (
      UPDATE grants SET revoked_at = ${now} WHERE id = ${grant.id}::uuid AND revoked_at IS NULL
    )
    UPDATE attempts SET finished_at = ${now},
      state = CASE WHEN ${failed} THEN 'failed'::"AttemptState" ELSE state END,
      error_code = CASE WHEN ${failed} THEN ${outcome?.code ?? 'attempt_failed'} ELSE error_code END
    WHERE id = ${grant.attemptId}::uuid AND state = 'running' AND finished_at IS NULL`;
}

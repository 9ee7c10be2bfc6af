-- CreateEnum
CREATE TYPE "MediaState" AS ENUM ('created', 'uploaded', 'queued', 'processing', 'preview_ready', 'verifying', 'ready', 'failed_retryable', 'failed_terminal', 'expired', 'deleted');

-- CreateEnum
CREATE TYPE "JobState" AS ENUM ('probing', 'transcoding', 'packaging', 'published', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "TaskState" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "TaskKind" AS ENUM ('probe', 'video', 'audio');

-- CreateEnum
CREATE TYPE "AttemptState" AS ENUM ('running', 'succeeded', 'failed', 'stale');

-- CreateTable
CREATE TABLE "tenants" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "api_key_hash" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "media" (
    "id" UUID NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "state" "MediaState" NOT NULL DEFAULT 'created',
    "message_id" TEXT,
    "room_id" TEXT,
    "idempotency_key" TEXT,
    "profiles" TEXT[],
    "source_key" TEXT NOT NULL,
    "source_sha256" TEXT NOT NULL,
    "source_size_bytes" BIGINT NOT NULL,
    "size_class" TEXT NOT NULL,
    "duration_class" TEXT,
    "manifest_hls_key" TEXT,
    "manifest_dash_key" TEXT,
    "failure_code" TEXT,
    "failure_message" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "media_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "jobs" (
    "id" UUID NOT NULL,
    "media_id" UUID NOT NULL,
    "state" "JobState" NOT NULL DEFAULT 'probing',
    "lane" TEXT,
    "probe" JSONB,
    "plan" JSONB,
    "tasks_total" INTEGER NOT NULL DEFAULT 0,
    "tasks_succeeded" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "segments" (
    "id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "start_frame" INTEGER NOT NULL,
    "frame_count" INTEGER NOT NULL,
    "start_sec" DOUBLE PRECISION NOT NULL,
    "duration_sec" DOUBLE PRECISION NOT NULL,
    "gop_aligned" BOOLEAN NOT NULL,

    CONSTRAINT "segments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tasks" (
    "id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "kind" "TaskKind" NOT NULL,
    "segment_index" INTEGER NOT NULL,
    "rendition" TEXT NOT NULL,
    "lane" TEXT NOT NULL,
    "state" "TaskState" NOT NULL DEFAULT 'queued',
    "attempt_count" INTEGER NOT NULL DEFAULT 0,
    "winning_attempt_id" UUID,
    "failure_code" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "attempts" (
    "id" UUID NOT NULL,
    "task_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "previous_attempt_id" UUID,
    "worker_id" TEXT NOT NULL,
    "state" "AttemptState" NOT NULL DEFAULT 'running',
    "encoder_path" TEXT,
    "encoder_build" TEXT,
    "heartbeat_at" TIMESTAMP(3),
    "started_at" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3),
    "error_code" TEXT,
    "error_message" TEXT,
    "cleanup" JSONB,

    CONSTRAINT "attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outputs" (
    "id" UUID NOT NULL,
    "media_id" UUID NOT NULL,
    "task_id" UUID,
    "kind" TEXT NOT NULL,
    "rendition" TEXT NOT NULL,
    "segment_index" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "duration_sec" DOUBLE PRECISION,
    "verified_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outputs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "events" (
    "id" BIGSERIAL NOT NULL,
    "media_id" UUID NOT NULL,
    "job_id" UUID,
    "type" TEXT NOT NULL,
    "from_state" TEXT,
    "to_state" TEXT,
    "reason" TEXT,
    "data" JSONB,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tenants_api_key_hash_key" ON "tenants"("api_key_hash");

-- CreateIndex
CREATE INDEX "media_state_idx" ON "media"("state");

-- CreateIndex
CREATE UNIQUE INDEX "media_tenant_id_idempotency_key_key" ON "media"("tenant_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "jobs_media_id_idx" ON "jobs"("media_id");

-- CreateIndex
CREATE INDEX "jobs_state_idx" ON "jobs"("state");

-- CreateIndex
CREATE UNIQUE INDEX "segments_job_id_index_key" ON "segments"("job_id", "index");

-- CreateIndex
CREATE INDEX "tasks_state_idx" ON "tasks"("state");

-- CreateIndex
CREATE UNIQUE INDEX "tasks_job_id_segment_index_rendition_key" ON "tasks"("job_id", "segment_index", "rendition");

-- CreateIndex
CREATE INDEX "attempts_task_id_idx" ON "attempts"("task_id");

-- CreateIndex
CREATE UNIQUE INDEX "outputs_key_key" ON "outputs"("key");

-- CreateIndex
CREATE INDEX "outputs_media_id_idx" ON "outputs"("media_id");

-- CreateIndex
CREATE INDEX "events_media_id_id_idx" ON "events"("media_id", "id");

-- AddForeignKey
ALTER TABLE "media" ADD CONSTRAINT "media_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_media_id_fkey" FOREIGN KEY ("media_id") REFERENCES "media"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "segments" ADD CONSTRAINT "segments_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "outputs" ADD CONSTRAINT "outputs_media_id_fkey" FOREIGN KEY ("media_id") REFERENCES "media"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "outputs" ADD CONSTRAINT "outputs_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "events" ADD CONSTRAINT "events_media_id_fkey" FOREIGN KEY ("media_id") REFERENCES "media"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AlterEnum
ALTER TYPE "AttemptState" ADD VALUE 'rejected';

-- CreateTable
CREATE TABLE "output_checks" (
    "id" BIGSERIAL NOT NULL,
    "media_id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "verify_job" TEXT NOT NULL,
    "task_id" UUID,
    "attempt_id" UUID,
    "worker_id" TEXT,
    "key" TEXT,
    "passed" BOOLEAN NOT NULL,
    "reason" TEXT,
    "detail" TEXT,
    "checked_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "output_checks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "worker_quarantines" (
    "worker_id" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "attempt_id" UUID,
    "media_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cleared_at" TIMESTAMP(3),
    "cleared_by" TEXT,

    CONSTRAINT "worker_quarantines_pkey" PRIMARY KEY ("worker_id")
);

-- CreateIndex
CREATE INDEX "output_checks_media_id_idx" ON "output_checks"("media_id");

-- CreateIndex
CREATE INDEX "output_checks_attempt_id_idx" ON "output_checks"("attempt_id");

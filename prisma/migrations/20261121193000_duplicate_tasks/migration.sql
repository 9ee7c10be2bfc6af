-- CreateEnum
CREATE TYPE "TaskRole" AS ENUM ('primary', 'duplicate');

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN "role" "TaskRole" NOT NULL DEFAULT 'primary';

-- DropIndex
DROP INDEX "tasks_job_id_segment_index_rendition_key";

-- CreateIndex
CREATE UNIQUE INDEX "tasks_job_id_segment_index_rendition_role_key" ON "tasks"("job_id", "segment_index", "rendition", "role");

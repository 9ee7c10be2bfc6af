-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "policy" JSONB;

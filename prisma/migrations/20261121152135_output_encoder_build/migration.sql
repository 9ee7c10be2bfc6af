-- AlterTable
ALTER TABLE "outputs" ADD COLUMN     "encoder_build" TEXT;

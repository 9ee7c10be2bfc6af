-- AlterTable
ALTER TABLE "media" ADD COLUMN     "preview_dash_key" TEXT,
ADD COLUMN     "preview_hls_key" TEXT;

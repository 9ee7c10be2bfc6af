/*
  Warnings:

  - Added the required column `content_key_jwe` to the `media` table without a default value. This is not possible if the table is not empty.
  - Added the required column `output_key_id` to the `media` table without a default value. This is not possible if the table is not empty.
  - Added the required column `output_key_jwe` to the `media` table without a default value. This is not possible if the table is not empty.

*/
-- AlterTable
ALTER TABLE "media" ADD COLUMN     "content_key_jwe" TEXT NOT NULL,
ADD COLUMN     "output_key_id" TEXT NOT NULL,
ADD COLUMN     "output_key_jwe" TEXT NOT NULL;

-- CreateTable
CREATE TABLE "recipients" (
    "id" UUID NOT NULL,
    "media_id" UUID NOT NULL,
    "recipient_id" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "output_key_jwe" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "recipients_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "grants" (
    "id" UUID NOT NULL,
    "jti" TEXT NOT NULL,
    "media_id" UUID NOT NULL,
    "task_id" UUID NOT NULL,
    "attempt_id" UUID NOT NULL,
    "worker_id" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "grants_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "recipients_media_id_recipient_id_key" ON "recipients"("media_id", "recipient_id");

-- CreateIndex
CREATE UNIQUE INDEX "grants_jti_key" ON "grants"("jti");

-- CreateIndex
CREATE INDEX "grants_media_id_idx" ON "grants"("media_id");

-- CreateIndex
CREATE INDEX "grants_attempt_id_idx" ON "grants"("attempt_id");

-- AddForeignKey
ALTER TABLE "recipients" ADD CONSTRAINT "recipients_media_id_fkey" FOREIGN KEY ("media_id") REFERENCES "media"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "grants" ADD CONSTRAINT "grants_media_id_fkey" FOREIGN KEY ("media_id") REFERENCES "media"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

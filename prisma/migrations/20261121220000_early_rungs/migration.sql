-- The early stage: the lowest rung and audio, published ahead of the ladder.
ALTER TABLE "media" ADD COLUMN "early_hls_key" TEXT,
ADD COLUMN "early_dash_key" TEXT,
ADD COLUMN "early_renditions" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- A tenant no longer listed in TENANT_KEYS is disabled at the api's boot, not deleted: its media
-- rows stay, and its key answers 401 (its hash is replaced, so the key matches nothing).
ALTER TABLE "tenants" ADD COLUMN "disabled_at" TIMESTAMP(3);

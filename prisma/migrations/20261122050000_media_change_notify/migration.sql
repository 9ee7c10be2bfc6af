-- A change to a media's row or to its job's notifies listeners with the media id, on a channel
-- per schema: the api's long poll of GET /v1/media/:id waits on it instead of polling.
CREATE FUNCTION "notify_media_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'media' THEN
    PERFORM pg_notify('media_changed:' || TG_TABLE_SCHEMA, NEW.id::text);
  ELSE
    PERFORM pg_notify('media_changed:' || TG_TABLE_SCHEMA, NEW.media_id::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "media_changed" AFTER INSERT OR UPDATE ON "media" FOR EACH ROW EXECUTE FUNCTION "notify_media_changed"();
CREATE TRIGGER "job_changed" AFTER INSERT OR UPDATE ON "jobs" FOR EACH ROW EXECUTE FUNCTION "notify_media_changed"();

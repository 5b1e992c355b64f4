-- A history import's events of the shoppers in @user_ids, deleted: they were erased while the import ran, after
-- their rows were staged. An erasure must not be undone by an import that began before it.
DELETE FROM events
WHERE event_time >= TIMESTAMP_SECONDS(0)
  AND import_id = @import_id
  AND user_id IN UNNEST(@user_ids)

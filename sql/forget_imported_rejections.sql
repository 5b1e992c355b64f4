-- A history import's rejected rows of the shoppers in @user_ids, deleted: they were erased while the import ran
-- (see forget_imported_events.sql).
DELETE FROM rejected_events
WHERE received_at >= TIMESTAMP_SECONDS(0)
  AND request_id = @import_id
  AND source = @source
  AND user_id IN UNNEST(@user_ids)

-- A history import's order lines of the shoppers in @user_ids, deleted: they were erased while the import ran
-- (see forget_imported_events.sql).
DELETE FROM order_items
WHERE event_time >= TIMESTAMP_SECONDS(0)
  AND import_id = @import_id
  AND user_id IN UNNEST(@user_ids)

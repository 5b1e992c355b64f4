-- Erasure: every event of the shoppers in @user_ids. The table requires a partition filter, and an
-- erasure reaches back to the very first partition.
-- A visitor linked to one of them is theirs (LINKED_VISITORS, functions/warehouse/sql-macros.ts).
DELETE FROM events
WHERE event_time >= TIMESTAMP_SECONDS(0)
  AND (user_id IN UNNEST(@user_ids) OR user_id IN LINKED_VISITORS(@user_ids))

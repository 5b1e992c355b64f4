-- The events a history import loaded for the shoppers in @user_ids, whole (the envelope, context and data), in
-- time order: what seeding learns from.
SELECT event_id, type, user_id, session_id, occurred_at, sent_at, received_at, event_time, context, data
FROM events
WHERE event_time >= TIMESTAMP_SECONDS(0)
  AND import_id = @import_id
  AND user_id IN UNNEST(@user_ids)
ORDER BY user_id, event_time, event_id

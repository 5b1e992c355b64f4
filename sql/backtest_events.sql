-- What the warehouse holds of the shoppers in @user_ids from before @until, whole (the envelope, context and data),
-- once per (user_id, event_id) however often it was delivered, in time order: what the backtest replays.
SELECT event_id, type, user_id, session_id, occurred_at, sent_at, received_at, event_time, context, data
FROM events
WHERE event_time >= TIMESTAMP_SECONDS(0)
  AND event_time < @until
  AND user_id IN UNNEST(@user_ids)
QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id ORDER BY received_at) = 1
ORDER BY user_id, event_time, event_id

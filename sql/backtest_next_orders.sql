-- The first order at or after @until of each shopper in @user_ids, whole: what the backtest scores its predictions
-- against. Ties at one instant go to the smaller event_id, so the choice never depends on the storage.
SELECT event_id, type, user_id, session_id, occurred_at, sent_at, received_at, event_time, context, data
FROM events
WHERE event_time >= @until
  AND type = 'order_completed'
  AND user_id IN UNNEST(@user_ids)
QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY event_time, event_id, received_at) = 1
ORDER BY user_id

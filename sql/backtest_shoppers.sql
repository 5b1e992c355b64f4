-- The backtest's shoppers: those who ordered both before @until (so there is history to predict from) and at or after
-- it (so there is a next order to score), the next @limit after @after in id order, with when that next order was.
SELECT n.user_id, n.next_order_at
FROM (
  SELECT user_id, MIN(event_time) AS next_order_at
  FROM events
  WHERE event_time >= @until
    AND type = 'order_completed'
    AND user_id > @after
  GROUP BY user_id
) AS n
WHERE EXISTS (
  SELECT 1
  FROM events AS e
  WHERE e.event_time >= TIMESTAMP_SECONDS(0)
    AND e.event_time < @until
    AND e.type = 'order_completed'
    AND e.user_id = n.user_id
)
ORDER BY n.user_id
LIMIT @limit

-- The operators' dashboard: events per minute of event time in [@since, @as_of), one row per minute
-- that has any. A redelivered event counts once: its copies share its (user_id, event_id) and its minute.
SELECT minute, COUNT(*) AS events
FROM (
  SELECT DISTINCT user_id, event_id, TIMESTAMP_SECONDS(DIV(UNIX_SECONDS(event_time), 60) * 60) AS minute
  FROM events
  WHERE event_time >= @since AND event_time < @as_of
)
GROUP BY minute
ORDER BY minute

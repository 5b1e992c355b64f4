-- The operators' dashboard: events per minute of event time in [@since, @as_of), one row per minute
-- that has any. A redelivered event counts once: its copies share its event_id and its minute.
SELECT
  TIMESTAMP_SECONDS(DIV(UNIX_SECONDS(event_time), 60) * 60) AS minute,
  COUNT(DISTINCT event_id) AS events
FROM events
WHERE event_time >= @since AND event_time < @as_of
GROUP BY minute
ORDER BY minute

-- The operators' dashboard: rejected input per hour of receipt in [@since, @as_of), and per step that
-- refused it (source: collect for invalid events; ingest and store-rejected for unreadable messages and
-- rows the warehouse refused).
SELECT
  TIMESTAMP_SECONDS(DIV(UNIX_SECONDS(received_at), 3600) * 3600) AS hour,
  source,
  COUNT(*) AS rejected
FROM rejected_events
WHERE received_at >= @since AND received_at < @as_of
GROUP BY hour, source
ORDER BY hour, source

-- The operators' dashboard: per hour of event time in [@since, @as_of), how long after it happened an
-- event reached collect (received_at - event_time, whole seconds): the median, the 95th percentile and
-- the longest. Percentiles by nearest rank (the smallest lag at or above that share of the hour's
-- events), exact on BigQuery and DuckDB alike. One row per event, (user_id, event_id), its first receipt.
WITH lags AS (
  SELECT
    TIMESTAMP_SECONDS(DIV(UNIX_SECONDS(event_time), 3600) * 3600) AS hour,
    UNIX_SECONDS(received_at) - UNIX_SECONDS(event_time) AS lag_seconds
  FROM events
  WHERE event_time >= @since AND event_time < @as_of
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id ORDER BY received_at) = 1
),
ranked AS (
  SELECT
    hour,
    lag_seconds,
    ROW_NUMBER() OVER (PARTITION BY hour ORDER BY lag_seconds) AS lag_rank,
    COUNT(*) OVER (PARTITION BY hour) AS hour_events
  FROM lags
)
SELECT
  hour,
  MAX(hour_events) AS events,
  MIN(CASE WHEN lag_rank >= CEIL(0.5 * hour_events) THEN lag_seconds END) AS p50_seconds,
  MIN(CASE WHEN lag_rank >= CEIL(0.95 * hour_events) THEN lag_seconds END) AS p95_seconds,
  MAX(lag_seconds) AS max_seconds
FROM ranked
GROUP BY hour
ORDER BY hour

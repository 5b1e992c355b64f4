-- Coverage: of the searches in [@window_start, @as_of), the share whose shopper had a preference
-- document to personalize with, with a Wilson 95% interval. The warehouse does not hold the documents,
-- so a document is taken to exist when, before the search, the shopper
--   - had any event in the 90 days before it (real-time learning writes the document from every event
--     it learns; after 90 days even an order's affinity, 0.9 halving every 14 days, has been pruned
--     below 0.01), or
--   - had batch patterns published (user_patterns, computed before the search).
-- It overstates coverage for shoppers who switched learning off, whose events are stored but not learned.
-- A visitor linked to a shopper is that shopper, before the link as after (SHOPPER_EVENTS, functions/warehouse/sql-macros.ts).
WITH
search_events AS (
  SELECT user_id, search_id, event_id, event_time
  FROM SHOPPER_EVENTS() AS e
  WHERE type = 'search_performed'
    AND event_time >= @window_start
    AND event_time < @as_of
  -- Redelivery can repeat a row: keep one per (user_id, event_id).
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id ORDER BY received_at) = 1
),
-- A search sent again under a new event_id is still one search.
searches AS (
  SELECT user_id, event_time
  FROM search_events
  WHERE search_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, search_id ORDER BY event_time, event_id) = 1
),
-- Each instant a shopper did something, and the one before it: whether anything came before a search.
moments AS (
  SELECT DISTINCT user_id, event_time
  FROM SHOPPER_EVENTS() AS e
  WHERE event_time >= TIMESTAMP_SUB(@window_start, INTERVAL 90 DAY)
    AND event_time < @as_of
),
previous AS (
  SELECT user_id, event_time, LAG(event_time) OVER (PARTITION BY user_id ORDER BY event_time) AS previous_at
  FROM moments
),
judged AS (
  SELECT
    (pr.previous_at IS NOT NULL AND pr.previous_at >= TIMESTAMP_SUB(s.event_time, INTERVAL 90 DAY))
      OR (up.computed_at IS NOT NULL AND up.computed_at <= s.event_time) AS covered
  FROM searches AS s
  JOIN previous AS pr ON pr.user_id = s.user_id AND pr.event_time = s.event_time
  LEFT JOIN user_patterns AS up ON up.user_id = s.user_id
),
shares AS (
  SELECT CAST(COUNTIF(covered) AS FLOAT64) AS numerator, CAST(COUNT(*) AS FLOAT64) AS denominator
  FROM judged
)
SELECT
  @as_of AS as_of,
  @window_start AS window_start,
  'coverage' AS metric,
  '' AS experiment,
  '' AS arm,
  '' AS dimension,
  p AS value, numerator, denominator,
  -- WILSON_LOWER and WILSON_UPPER are expanded when the file is read (functions/warehouse/sql-macros.ts).
  WILSON_LOWER(p, n) AS ci_low,
  WILSON_UPPER(p, n) AS ci_high
FROM (SELECT *, numerator / denominator AS p, denominator AS n FROM shares WHERE denominator > 0)

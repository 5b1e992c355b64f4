-- Click-through rate by result position, 1 to 10: of the searches in [@window_start, @as_of) that
-- showed a result at position p (data.results), the share with a click at p, with its Wilson 95%
-- interval; dimension is p. Clicks count as in metric_ctr.sql: same shopper and search_id, before
-- @as_of + 30 minutes; several clicks at one position of one search count once.
-- A visitor linked to a shopper is that shopper, before the link as after (SHOPPER_EVENTS, functions/warehouse/sql-macros.ts).
WITH
search_events AS (
  SELECT user_id, search_id, event_id, event_time, data
  FROM SHOPPER_EVENTS() AS e
  WHERE type = 'search_performed'
    AND event_time >= @window_start
    AND event_time < @as_of
  -- Redelivery can repeat a row: keep one per (user_id, event_id).
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id ORDER BY received_at) = 1
),
-- A search sent again under a new event_id is still one search: its clicks name its search_id.
searches AS (
  SELECT user_id, search_id, JSON_QUERY_ARRAY(data, '$.results') AS results
  FROM search_events
  WHERE search_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, search_id ORDER BY event_time, event_id) = 1
),
shown AS (
  SELECT DISTINCT s.user_id, s.search_id, CAST(JSON_VALUE(result, '$.position') AS INT64) AS shown_at
  FROM searches AS s
  CROSS JOIN UNNEST(s.results) AS result
),
clicked AS (
  SELECT DISTINCT user_id, search_id, position AS clicked_at
  FROM SHOPPER_EVENTS() AS e
  WHERE type = 'search_result_clicked'
    AND event_time >= @window_start
    AND event_time < TIMESTAMP_ADD(@as_of, INTERVAL ATTRIBUTION_MINUTES() MINUTE)
),
shares AS (
  SELECT
    s.shown_at,
    CAST(COUNTIF(c.search_id IS NOT NULL) AS FLOAT64) AS numerator,
    CAST(COUNT(*) AS FLOAT64) AS denominator
  FROM shown AS s
  LEFT JOIN clicked AS c ON c.user_id = s.user_id AND c.search_id = s.search_id AND c.clicked_at = s.shown_at
  WHERE s.shown_at BETWEEN 1 AND 10
  GROUP BY s.shown_at
)
SELECT
  @as_of AS as_of,
  @window_start AS window_start,
  'ctr_by_position' AS metric,
  '' AS experiment,
  '' AS arm,
  CAST(shown_at AS STRING) AS dimension,
  p AS value, numerator, denominator,
  -- WILSON_LOWER and WILSON_UPPER are expanded when the file is read (functions/warehouse/sql-macros.ts).
  WILSON_LOWER(p, n) AS ci_low,
  WILSON_UPPER(p, n) AS ci_high
FROM (SELECT *, numerator / denominator AS p, denominator AS n FROM shares)

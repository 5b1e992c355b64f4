-- Click-through rate: of the searches in [@window_start, @as_of), the share with at least one click on
-- their results, with its Wilson 95% interval. One row for all searches; one per experiment and arm the
-- searches were in (context.experiments, experiment '' otherwise); one each for personalized and
-- not_personalized searches (the search's own `personalized` flag).
-- A click counts for its search (same shopper, same search_id) when it comes before @as_of + 30
-- minutes: a search just before the window's end still gets its clicks, and a run that starts half an
-- hour after the window has them all.
-- A visitor linked to a shopper is that shopper, before the link as after (SHOPPER_EVENTS, functions/warehouse/sql-macros.ts).
WITH
search_events AS (
  SELECT user_id, search_id, event_id, event_time, personalized, experiments
  FROM SHOPPER_EVENTS() AS e
  WHERE type = 'search_performed'
    AND event_time >= @window_start
    AND event_time < @as_of
  -- Redelivery can repeat a row: keep one per (user_id, event_id).
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id ORDER BY received_at) = 1
),
-- A search sent again under a new event_id is still one search: its clicks name its search_id.
searches AS (
  SELECT *
  FROM search_events
  WHERE search_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, search_id ORDER BY event_time, event_id) = 1
),
-- Whether a search had a click is all that counts, so a repeated click row changes nothing.
clicked AS (
  SELECT DISTINCT user_id, search_id
  FROM SHOPPER_EVENTS() AS e
  WHERE type = 'search_result_clicked'
    AND event_time >= @window_start
    AND event_time < TIMESTAMP_ADD(@as_of, INTERVAL ATTRIBUTION_MINUTES() MINUTE)
),
outcomes AS (
  SELECT
    s.personalized,
    c.search_id IS NOT NULL AS clicked,
    -- Each "experiment":"arm" pair of the compact JSON text. Ids and arms are printable ASCII; one
    -- holding a quote or a backslash would be escaped in the text and is not split (see arms below).
    REGEXP_EXTRACT_ALL(TO_JSON_STRING(s.experiments), '"[^"]*":"[^"]*"') AS pairs,
    STRPOS(TO_JSON_STRING(s.experiments), CHR(92)) = 0 AS plain
  FROM searches AS s
  LEFT JOIN clicked AS c ON c.user_id = s.user_id AND c.search_id = s.search_id
),
arms AS (
  SELECT
    SUBSTR(pair, 2, STRPOS(pair, '":"') - 2) AS experiment,
    SUBSTR(pair, STRPOS(pair, '":"') + 3, LENGTH(pair) - STRPOS(pair, '":"') - 3) AS arm,
    o.clicked
  FROM outcomes AS o
  CROSS JOIN UNNEST(o.pairs) AS pair
  WHERE o.plain
),
slices AS (
  SELECT '' AS experiment, '' AS arm, '' AS dimension, clicked FROM outcomes
  UNION ALL
  SELECT '', '', CASE WHEN personalized THEN 'personalized' ELSE 'not_personalized' END, clicked FROM outcomes
  UNION ALL
  SELECT experiment, arm, '', clicked FROM arms
),
shares AS (
  SELECT
    experiment, arm, dimension,
    CAST(COUNTIF(clicked) AS FLOAT64) AS numerator,
    CAST(COUNT(*) AS FLOAT64) AS denominator
  FROM slices
  GROUP BY experiment, arm, dimension
)
SELECT
  @as_of AS as_of,
  @window_start AS window_start,
  'ctr' AS metric,
  experiment, arm, dimension,
  p AS value, numerator, denominator,
  -- WILSON_LOWER and WILSON_UPPER are expanded when the file is read (functions/warehouse/sql-macros.ts).
  WILSON_LOWER(p, n) AS ci_low,
  WILSON_UPPER(p, n) AS ci_high
FROM (SELECT *, numerator / denominator AS p, denominator AS n FROM shares)

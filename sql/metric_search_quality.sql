-- Search quality that does not saturate when most searches get a click, over the searches of
-- [@window_start, @as_of), counted as in metric_ctr.sql, with the same slices: all searches; per experiment
-- and arm of the search's context.experiments; personalized and not_personalized by the search's own flag.
--   mrr: the mean reciprocal rank of the clicked result, 1 / the best position clicked (a click counts as in
--     metric_ctr.sql: same shopper and search_id, before @as_of + 30 minutes), 0 for a search without a
--     click. An arm that puts the wanted result higher scores more at the same CTR.
--   bought_position: the mean position at which searches showed the products their shoppers then bought:
--     each product a search showed (data.results; at its best position if listed twice) that the same
--     shopper added to a cart or ordered within 30 minutes after the search, counted once per search.
--     Lower is better; clicks do not enter, so the position bias of clicks does not either.
-- Both with a normal 95% interval mean ± Z_95() · s / √n, within [0, 1] for mrr and from 1 for positions
-- (none for a single value), as avg_cart_value in metric_cart.sql.
-- A visitor linked to a shopper is that shopper, before the link as after (SHOPPER_EVENTS, functions/warehouse/sql-macros.ts).
WITH
search_events AS (
  SELECT user_id, search_id, event_id, event_time, personalized, experiments, data
  FROM SHOPPER_EVENTS() AS e
  WHERE type = 'search_performed'
    AND event_time >= @window_start
    AND event_time < @as_of
  -- Redelivery can repeat a row: keep one per (user_id, event_id).
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id ORDER BY received_at) = 1
),
-- A search sent again under a new event_id is still one search: its clicks name its search_id.
searches AS (
  SELECT user_id, search_id, event_time, personalized, experiments, JSON_QUERY_ARRAY(data, '$.results') AS results
  FROM search_events
  WHERE search_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, search_id ORDER BY event_time, event_id) = 1
),
-- The best position clicked: a repeated click, or a second one further down, changes nothing.
best_clicks AS (
  SELECT user_id, search_id, MIN(position) AS clicked_at
  FROM SHOPPER_EVENTS() AS e
  WHERE type = 'search_result_clicked'
    AND event_time >= @window_start
    AND event_time < TIMESTAMP_ADD(@as_of, INTERVAL ATTRIBUTION_MINUTES() MINUTE)
  GROUP BY user_id, search_id
),
shown AS (
  SELECT s.user_id, s.search_id, s.event_time, JSON_VALUE(result, '$.sku') AS sku, MIN(CAST(JSON_VALUE(result, '$.position') AS INT64)) AS shown_at
  FROM searches AS s
  CROSS JOIN UNNEST(s.results) AS result
  GROUP BY s.user_id, s.search_id, s.event_time, sku
),
-- What shoppers bought, as cart adds and ordered lines; a search of the window's last 30 minutes keeps its purchases.
purchases AS (
  SELECT user_id, sku, event_time
  FROM SHOPPER_EVENTS() AS e
  WHERE type = 'cart_item_added'
    AND event_time >= @window_start
    AND event_time < TIMESTAMP_ADD(@as_of, INTERVAL ATTRIBUTION_MINUTES() MINUTE)
  UNION ALL
  SELECT user_id, sku, event_time
  FROM SHOPPER_ORDER_ITEMS() AS i
  WHERE event_time >= @window_start
    AND event_time < TIMESTAMP_ADD(@as_of, INTERVAL ATTRIBUTION_MINUTES() MINUTE)
),
-- A product added and then ordered, or a repeated row, is still one bought result of the search.
bought AS (
  SELECT DISTINCT sh.user_id, sh.search_id, sh.sku, sh.shown_at
  FROM shown AS sh
  JOIN purchases AS p
    ON p.user_id = sh.user_id
    AND p.sku = sh.sku
    AND p.event_time >= sh.event_time
    AND p.event_time < TIMESTAMP_ADD(sh.event_time, INTERVAL ATTRIBUTION_MINUTES() MINUTE)
),
outcomes AS (
  SELECT
    s.user_id,
    s.search_id,
    s.personalized,
    CASE WHEN c.clicked_at IS NULL THEN 0 ELSE 1 / CAST(c.clicked_at AS FLOAT64) END AS reciprocal_rank,
    -- The experiments split as in metric_ctr.sql: a search whose ids or arms hold a quote or a backslash is in no experiment's row.
    REGEXP_EXTRACT_ALL(TO_JSON_STRING(s.experiments), '"[^"]*":"[^"]*"') AS pairs,
    STRPOS(TO_JSON_STRING(s.experiments), CHR(92)) = 0 AS plain
  FROM searches AS s
  LEFT JOIN best_clicks AS c ON c.user_id = s.user_id AND c.search_id = s.search_id
),
-- Each search once in each slice it belongs to.
slices AS (
  SELECT user_id, search_id, '' AS experiment, '' AS arm, '' AS dimension, reciprocal_rank FROM outcomes
  UNION ALL
  SELECT user_id, search_id, '', '', CASE WHEN personalized THEN 'personalized' ELSE 'not_personalized' END, reciprocal_rank FROM outcomes
  UNION ALL
  SELECT
    o.user_id,
    o.search_id,
    SUBSTR(pair, 2, STRPOS(pair, '":"') - 2),
    SUBSTR(pair, STRPOS(pair, '":"') + 3, LENGTH(pair) - STRPOS(pair, '":"') - 3),
    '',
    o.reciprocal_rank
  FROM outcomes AS o
  CROSS JOIN UNNEST(o.pairs) AS pair
  WHERE o.plain
),
means AS (
  SELECT 'mrr' AS metric, experiment, arm, dimension, SUM(reciprocal_rank) AS total, COUNT(*) AS n, STDDEV_SAMP(reciprocal_rank) AS spread
  FROM slices
  GROUP BY experiment, arm, dimension
  UNION ALL
  SELECT 'bought_position', sl.experiment, sl.arm, sl.dimension, CAST(SUM(b.shown_at) AS FLOAT64), COUNT(*), STDDEV_SAMP(b.shown_at)
  FROM slices AS sl
  JOIN bought AS b ON b.user_id = sl.user_id AND b.search_id = sl.search_id
  GROUP BY sl.experiment, sl.arm, sl.dimension
),
intervals AS (
  SELECT
    metric, experiment, arm, dimension, total, n,
    total / n AS mean,
    total / n - Z_95() * spread / SQRT(n) AS low,
    total / n + Z_95() * spread / SQRT(n) AS high
  FROM means
)
SELECT
  @as_of AS as_of,
  @window_start AS window_start,
  metric, experiment, arm, dimension,
  mean AS value,
  total AS numerator,
  CAST(n AS FLOAT64) AS denominator,
  -- A reciprocal rank lies in [0, 1] and a position is at least 1: so does the interval.
  CASE WHEN metric = 'mrr' AND low < 0 THEN 0 WHEN metric = 'bought_position' AND low < 1 THEN 1 ELSE low END AS ci_low,
  CASE WHEN metric = 'mrr' AND high > 1 THEN 1 ELSE high END AS ci_high
FROM intervals

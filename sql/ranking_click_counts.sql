-- The sufficient statistics of the ranking-weights fit (functions/weights/fit.ts): over the searches of
-- [@since, @as_of) whose shopper was in the control arm (@control_arm) of the personalization experiment
-- (@personalization_experiment) and that logged their signal values (data.ranking), one row per shown position, engine
-- position and rounded signal values with how many results were shown so and how many of them were clicked. The
-- control arm shows the engine's order, which the signals did not choose, so a click there says what a signal is worth
-- at a fixed position; where a randomized swap showed a result one place from the engine's position, the two positions
-- differ, and those clicks tell the shoppers' attention from the engine's relevance (docs/weights.md).
-- Each search counts once, as in metric_ctr.sql: one row per (user_id, event_id), then per (user_id, search_id); a
-- result counts as clicked when the same shopper clicked its position of that search before @as_of + 30 minutes.
-- Values are rounded to one decimal, so the answer is a table of a few thousand groups, not one row per result.
WITH
search_events AS (
  SELECT user_id, search_id, event_id, event_time, experiments, data
  FROM events
  WHERE type = 'search_performed'
    AND event_time >= @since
    AND event_time < @as_of
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id ORDER BY received_at) = 1
),
searches AS (
  SELECT user_id, search_id, JSON_QUERY_ARRAY(data, '$.ranking') AS ranking
  FROM search_events
  WHERE search_id IS NOT NULL
    -- The arm as context.experiments carries it, "id":"arm", in the compact JSON text BigQuery and DuckDB both write.
    AND STRPOS(TO_JSON_STRING(experiments), CONCAT('"', @personalization_experiment, '":"', @control_arm, '"')) > 0
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, search_id ORDER BY event_time, event_id) = 1
),
clicks AS (
  SELECT DISTINCT user_id, search_id, position
  FROM events
  WHERE type = 'search_result_clicked'
    AND event_time >= @since
    AND event_time < TIMESTAMP_ADD(@as_of, INTERVAL ATTRIBUTION_MINUTES() MINUTE)
),
shown AS (
  SELECT
    s.user_id,
    s.search_id,
    CAST(JSON_VALUE(entry, '$.position') AS INT64) AS position,
    CAST(JSON_VALUE(entry, '$.original_position') AS INT64) AS original_position,
    ROUND(COALESCE(CAST(JSON_VALUE(entry, '$.signals.product') AS FLOAT64), 0), 1) AS product,
    ROUND(COALESCE(CAST(JSON_VALUE(entry, '$.signals.brand') AS FLOAT64), 0), 1) AS brand,
    ROUND(COALESCE(CAST(JSON_VALUE(entry, '$.signals.category') AS FLOAT64), 0), 1) AS category,
    ROUND(COALESCE(CAST(JSON_VALUE(entry, '$.signals.reorder_due') AS FLOAT64), 0), 1) AS reorder_due,
    ROUND(COALESCE(CAST(JSON_VALUE(entry, '$.signals.recent') AS FLOAT64), 0), 1) AS recent,
    ROUND(COALESCE(CAST(JSON_VALUE(entry, '$.signals.dietary') AS FLOAT64), 0), 1) AS dietary,
    ROUND(COALESCE(CAST(JSON_VALUE(entry, '$.signals.price') AS FLOAT64), 0), 1) AS price,
    ROUND(COALESCE(CAST(JSON_VALUE(entry, '$.signals.promotion') AS FLOAT64), 0), 1) AS promotion,
    ROUND(COALESCE(CAST(JSON_VALUE(entry, '$.signals.explicit') AS FLOAT64), 0), 1) AS explicit
  FROM searches AS s
  CROSS JOIN UNNEST(s.ranking) AS entry
)
SELECT
  sh.position,
  sh.original_position,
  sh.product, sh.brand, sh.category, sh.reorder_due, sh.recent, sh.dietary, sh.price, sh.promotion, sh.explicit,
  COUNT(*) AS shown,
  COUNTIF(c.position IS NOT NULL) AS clicked
FROM shown AS sh
LEFT JOIN clicks AS c ON c.user_id = sh.user_id AND c.search_id = sh.search_id AND c.position = sh.position
GROUP BY sh.position, sh.original_position, sh.product, sh.brand, sh.category, sh.reorder_due, sh.recent, sh.dietary, sh.price, sh.promotion, sh.explicit

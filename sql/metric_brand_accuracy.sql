-- Brand accuracy: for each order in [@window_start, @as_of) and each category it bought a branded
-- product in, the brand predicted for the shopper is the one they bought in that category in the most
-- orders of the 180 days before (ties: the one bought last, then by name); the prediction is right
-- when the order bought that brand in the category.
--   brand_accuracy = right predictions / predictions
-- with a Wilson 95% interval. A category the shopper never bought a brand in before has no prediction.
-- A visitor linked to a shopper is that shopper, before the link as after (SHOPPER_ORDER_ITEMS, functions/warehouse/sql-macros.ts).
WITH
lines AS (
  SELECT user_id, event_id, line, category, brand, event_time
  FROM SHOPPER_ORDER_ITEMS() AS i
  WHERE event_time >= TIMESTAMP_SUB(@window_start, INTERVAL HISTORY_DAYS() DAY)
    AND event_time < @as_of
    AND brand IS NOT NULL
  -- Redelivery can repeat a row: keep one per (user_id, event_id, line).
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id, line ORDER BY category) = 1
),
-- One row per order, category and brand, however many lines of the order it took.
bought AS (
  SELECT user_id, event_id, category, brand, MIN(event_time) AS bought_at
  FROM lines
  GROUP BY user_id, event_id, category, brand
),
judged_orders AS (
  SELECT DISTINCT user_id, event_id, category, bought_at AS ordered_at
  FROM bought
  WHERE bought_at >= @window_start
),
-- Per order of the window and category, the shopper's brands in it of the 180 days before.
history AS (
  SELECT o.user_id, o.event_id AS order_event_id, o.category, b.brand, COUNT(*) AS orders, MAX(b.bought_at) AS last_bought_at
  FROM judged_orders AS o
  JOIN bought AS b
    ON b.user_id = o.user_id
    AND b.category = o.category
    AND b.bought_at < o.ordered_at
    AND b.bought_at >= TIMESTAMP_SUB(o.ordered_at, INTERVAL HISTORY_DAYS() DAY)
  GROUP BY o.user_id, o.event_id, o.category, b.brand
),
predicted AS (
  SELECT user_id, order_event_id, category, brand
  FROM history
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, order_event_id, category ORDER BY orders DESC, last_bought_at DESC, brand) = 1
),
shares AS (
  SELECT
    CAST(COUNTIF(b.brand IS NOT NULL) AS FLOAT64) AS numerator,
    CAST(COUNT(*) AS FLOAT64) AS denominator
  FROM predicted AS p
  LEFT JOIN bought AS b
    ON b.user_id = p.user_id AND b.event_id = p.order_event_id AND b.category = p.category AND b.brand = p.brand
)
SELECT
  @as_of AS as_of,
  @window_start AS window_start,
  'brand_accuracy' AS metric,
  '' AS experiment,
  '' AS arm,
  '' AS dimension,
  p AS value, numerator, denominator,
  -- WILSON_LOWER and WILSON_UPPER are expanded when the file is read (functions/warehouse/sql-macros.ts).
  WILSON_LOWER(p, n) AS ci_low,
  WILSON_UPPER(p, n) AS ci_high
FROM (SELECT *, numerator / denominator AS p, denominator AS n FROM shares WHERE denominator > 0)

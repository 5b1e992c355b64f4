-- Reorder precision and recall: how well "due for reorder" foretold the orders of [@window_start, @as_of).
-- For each order in the window, each product the shopper bought in the 180 days before it is judged by
-- the rule search uses (functions/learn/reorder-due.ts): it has a rhythm when it was bought in at least two
-- earlier orders at different times, mean interval = (last − first) / (orders − 1), and it is due when the
-- reorder model in force as the window began (reorder_model, the latest version whose as_of is not after
-- @window_start) holds its cell due: days since its last purchase ÷ the interval, the orders, and the
-- interval, binned as functions/kernel/reorder-model.ts bins them (REORDER_*_BIN). Before any model was fitted,
-- the default rule decides: due from @due_fraction (90%) of the interval until @lapse_cycles (2) × the
-- interval (REORDER_RULE, functions/kernel/reorder-rule.ts).
--   reorder_precision = due products the order bought / due products
--   reorder_recall    = due products the order bought / products the order bought that had a rhythm
-- Both are summed over every order of the window (each judged product counts once), with Wilson 95%
-- intervals. A product bought for the first or second time has no rhythm yet: no rule could foretell
-- it, so it is left out of recall rather than counted as a miss.
-- A visitor linked to a shopper is that shopper, before the link as after (SHOPPER_ORDER_ITEMS, functions/warehouse/sql-macros.ts).
WITH
lines AS (
  SELECT user_id, event_id, line, sku, event_time
  FROM SHOPPER_ORDER_ITEMS() AS i
  WHERE event_time >= TIMESTAMP_SUB(@window_start, INTERVAL HISTORY_DAYS() DAY)
    AND event_time < @as_of
  -- Redelivery can repeat a row: keep one per (user_id, event_id, line).
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id, line ORDER BY sku) = 1
),
-- One purchase per order and product, however many lines of the order it took.
purchases AS (
  SELECT user_id, event_id, sku, MIN(event_time) AS bought_at
  FROM lines
  GROUP BY user_id, event_id, sku
),
orders AS (
  SELECT user_id, event_id, MIN(bought_at) AS ordered_at
  FROM purchases
  GROUP BY user_id, event_id
  HAVING MIN(bought_at) >= @window_start
),
-- Per order of the window, the shopper's products of the 180 days before it.
rhythms AS (
  SELECT
    o.user_id,
    o.event_id AS order_event_id,
    p.sku,
    COUNT(*) AS orders,
    REORDER_MEAN_INTERVAL_DAYS(p.bought_at) AS mean_interval_days,
    REORDER_DAYS_SINCE_LAST(o.ordered_at, p.bought_at) AS days_since_last
  FROM orders AS o
  JOIN purchases AS p
    ON p.user_id = o.user_id
    AND p.bought_at < o.ordered_at
    AND p.bought_at >= TIMESTAMP_SUB(o.ordered_at, INTERVAL HISTORY_DAYS() DAY)
  GROUP BY o.user_id, o.event_id, p.sku
  HAVING COUNT(*) >= 2
),
model AS (
  SELECT * FROM REORDER_MODEL_AT(@window_start) AS m
),
cells AS (
  SELECT
    r.*,
    REORDER_CYCLE_BIN(r.days_since_last / r.mean_interval_days) AS cycle_bin,
    REORDER_ORDERS_BIN(r.orders) AS orders_bin,
    REORDER_INTERVAL_BIN(r.mean_interval_days) AS interval_bin
  FROM rhythms AS r
  WHERE r.mean_interval_days > 0
),
judged AS (
  SELECT
    TRUE AS regular,
    CASE
      WHEN f.fitted THEN COALESCE(m.due, FALSE)
      ELSE c.days_since_last >= @due_fraction * c.mean_interval_days AND c.days_since_last < @lapse_cycles * c.mean_interval_days
    END AS due,
    b.sku IS NOT NULL AS bought
  FROM cells AS c
  CROSS JOIN (SELECT COUNT(*) > 0 AS fitted FROM model) AS f
  LEFT JOIN model AS m ON m.cycle_bin = c.cycle_bin AND m.orders_bin = c.orders_bin AND m.interval_bin = c.interval_bin
  LEFT JOIN purchases AS b ON b.user_id = c.user_id AND b.event_id = c.order_event_id AND b.sku = c.sku
),
shares AS (
  SELECT 'reorder_precision' AS metric, CAST(COUNTIF(due AND bought) AS FLOAT64) AS numerator, CAST(COUNTIF(due) AS FLOAT64) AS denominator
  FROM judged
  UNION ALL
  SELECT 'reorder_recall', CAST(COUNTIF(due AND bought) AS FLOAT64), CAST(COUNTIF(regular AND bought) AS FLOAT64)
  FROM judged
)
SELECT
  @as_of AS as_of,
  @window_start AS window_start,
  metric,
  '' AS experiment,
  '' AS arm,
  '' AS dimension,
  p AS value, numerator, denominator,
  -- WILSON_LOWER and WILSON_UPPER are expanded when the file is read (functions/warehouse/sql-macros.ts).
  WILSON_LOWER(p, n) AS ci_low,
  WILSON_UPPER(p, n) AS ci_high
FROM (SELECT *, numerator / denominator AS p, denominator AS n FROM shares WHERE denominator > 0)

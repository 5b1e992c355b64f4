-- Regular purchases: per shopper and product bought in at least two orders in the 180 days before
-- @as_of, how much and how often, how sure we are, and whether it is due again: by the reorder model in
-- force at @as_of (reorder_model, the latest version whose as_of is not after it, as metric_reorder.sql reads
-- it; this run's own fit runs beside this query), whose cell is binned as functions/kernel/reorder-model.ts bins
-- it (REORDER_*_BIN); before any model was fitted, by the default rule (REORDER_RULE: @due_fraction, @lapse_cycles).
-- Computed for the run's shoppers (shopper_privacy_staging) whose learn_preferences is on.
WITH
-- The run's shoppers: the job stages every shopper it computes (those of active_shoppers.sql, less
-- any being erased) with their switches; a shopper without a row is not computed, never given defaults.
active AS (
  SELECT user_id
  FROM shopper_privacy_staging
  WHERE learn_preferences
),
items AS (
  SELECT i.user_id, i.event_id, i.sku, i.product_name, i.category, i.brand, i.quantity, i.event_time
  -- The slice's order lines of the 180 days before @as_of, once each (stage_order_lines.sql).
  FROM order_lines_staging AS i
  JOIN active USING (user_id)
  WHERE i.as_of = @as_of
),
-- One purchase per order and product, however many lines of the order it took.
purchases AS (
  SELECT
    user_id, sku, event_id,
    MIN(event_time) AS bought_at,
    SUM(quantity) AS quantity,
    MAX(product_name) AS product_name,
    MAX(category) AS category,
    MAX(brand) AS brand
  FROM items
  GROUP BY user_id, sku, event_id
),
-- Only products bought in two orders or more have gaps: most products are bought once, and need no
-- ordering by time.
repeated AS (
  SELECT p.*
  FROM purchases AS p
  JOIN (
    SELECT user_id, sku
    FROM purchases
    GROUP BY user_id, sku
    HAVING COUNT(*) >= 2
  ) AS r USING (user_id, sku)
),
gaps AS (
  SELECT
    *,
    (UNIX_SECONDS(bought_at) - UNIX_SECONDS(LAG(bought_at) OVER (PARTITION BY user_id, sku ORDER BY bought_at, event_id))) / 86400 AS gap_days
  FROM repeated
),
regular AS (
  SELECT
    user_id, sku,
    MAX(product_name) AS product_name,
    MAX(category) AS category,
    MAX(brand) AS brand,
    COUNT(*) AS purchases,
    AVG(quantity) AS avg_quantity,
    AVG(gap_days) AS avg_interval_days,
    STDDEV_SAMP(gap_days) AS interval_stddev_days,
    MAX(bought_at) AS last_purchased_at
  FROM gaps
  GROUP BY user_id, sku
  HAVING COUNT(*) >= 2
),
model AS (
  SELECT * FROM REORDER_MODEL_AT(@as_of) AS m
),
-- Per orders and interval bin, the least days since ÷ interval at which the model holds a product due.
first_due AS (
  SELECT orders_bin, interval_bin, MIN(REORDER_CYCLE_FROM(cycle_bin)) AS cycle
  FROM model
  WHERE due
  GROUP BY orders_bin, interval_bin
),
binned AS (
  SELECT
    *,
    (UNIX_SECONDS(@as_of) - UNIX_SECONDS(last_purchased_at)) / 86400 AS days_since_last,
    -- Two orders at one instant make no rhythm: no cell (reorderCell returns null).
    CASE WHEN avg_interval_days > 0 THEN REORDER_CYCLE_BIN((UNIX_SECONDS(@as_of) - UNIX_SECONDS(last_purchased_at)) / 86400 / avg_interval_days) END AS cycle_bin,
    CASE WHEN avg_interval_days > 0 THEN REORDER_ORDERS_BIN(purchases) END AS orders_bin,
    CASE WHEN avg_interval_days > 0 THEN REORDER_INTERVAL_BIN(avg_interval_days) END AS interval_bin
  FROM regular
)
SELECT
  b.user_id, b.sku, b.product_name, b.category, b.brand, b.purchases, b.avg_quantity, b.avg_interval_days,
  CASE
    WHEN b.avg_interval_days <= 7 THEN 'weekly'
    WHEN b.avg_interval_days <= 14 THEN 'biweekly'
    WHEN b.avg_interval_days <= 30 THEN 'monthly'
    WHEN b.avg_interval_days <= 90 THEN 'quarterly'
    ELSE 'occasional'
  END AS frequency,
  -- REGULAR_ITEM_CONFIDENCE (functions/patterns/patterns.ts), which the learning status applies too.
  LEAST(@max_item_confidence, b.purchases / @purchases_for_full_confidence) AS confidence,
  -- Spread of the gaps relative to their mean: 0 for clockwork, NULL with only one gap.
  SAFE_DIVIDE(b.interval_stddev_days, b.avg_interval_days) AS interval_cv,
  b.last_purchased_at,
  TIMESTAMP_SECONDS(UNIX_SECONDS(b.last_purchased_at) + CAST(b.avg_interval_days * 86400 AS INT64)) AS next_due_at,
  -- When it first becomes due: by the model, the lowest cycle of its orders and interval at which it is due (NULL:
  -- never, at this many orders and this interval); by the default rule, @due_fraction (90%) of the interval. Readers
  -- decide with their own now by the model they read (learning_models/reorder), which can hold a later cycle not due.
  CASE
    WHEN f.fitted THEN
      IF(b.orders_bin IS NULL OR d.cycle IS NULL, NULL,
        TIMESTAMP_SECONDS(UNIX_SECONDS(b.last_purchased_at) + CAST(d.cycle * b.avg_interval_days * 86400 AS INT64)))
    ELSE TIMESTAMP_SECONDS(UNIX_SECONDS(b.last_purchased_at) + CAST(@due_fraction * b.avg_interval_days * 86400 AS INT64))
  END AS due_at,
  b.days_since_last,
  CASE
    WHEN f.fitted THEN COALESCE(m.due, FALSE)
    -- Due from @due_fraction of the mean interval until it lapses at @lapse_cycles × the interval (a whole cycle missed).
    ELSE b.days_since_last >= @due_fraction * b.avg_interval_days AND b.days_since_last < @lapse_cycles * b.avg_interval_days
  END AS due
FROM binned AS b
CROSS JOIN (SELECT COUNT(*) > 0 AS fitted FROM model) AS f
LEFT JOIN model AS m ON m.cycle_bin = b.cycle_bin AND m.orders_bin = b.orders_bin AND m.interval_bin = b.interval_bin
LEFT JOIN first_due AS d ON d.orders_bin = b.orders_bin AND d.interval_bin = b.interval_bin

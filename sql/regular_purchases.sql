-- Regular purchases: per shopper and product bought in at least two orders in the 180 days before
-- @as_of, how much and how often, how sure we are, and whether it is due again (and not yet lapsed).
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
)
SELECT
  user_id, sku, product_name, category, brand, purchases, avg_quantity, avg_interval_days,
  CASE
    WHEN avg_interval_days <= 7 THEN 'weekly'
    WHEN avg_interval_days <= 14 THEN 'biweekly'
    WHEN avg_interval_days <= 30 THEN 'monthly'
    WHEN avg_interval_days <= 90 THEN 'quarterly'
    ELSE 'occasional'
  END AS frequency,
  -- REGULAR_ITEM_CONFIDENCE (functions/patterns/patterns.ts), which the learning status applies too.
  LEAST(@max_item_confidence, purchases / @purchases_for_full_confidence) AS confidence,
  -- Spread of the gaps relative to their mean: 0 for clockwork, NULL with only one gap.
  SAFE_DIVIDE(interval_stddev_days, avg_interval_days) AS interval_cv,
  last_purchased_at,
  TIMESTAMP_SECONDS(UNIX_SECONDS(last_purchased_at) + CAST(avg_interval_days * 86400 AS INT64)) AS next_due_at,
  -- Due from @due_fraction (90%) of the mean interval on, until it lapses at @lapse_cycles (2) × the interval
  -- (a whole cycle missed: no longer bought on that rhythm): REORDER_RULE, functions/kernel/reorder-rule.ts.
  -- Readers compare due_at, and last_purchased_at + lapse cycles × avg_interval_days, with their own now.
  TIMESTAMP_SECONDS(UNIX_SECONDS(last_purchased_at) + CAST(@due_fraction * avg_interval_days * 86400 AS INT64)) AS due_at,
  (UNIX_SECONDS(@as_of) - UNIX_SECONDS(last_purchased_at)) / 86400 AS days_since_last,
  (UNIX_SECONDS(@as_of) - UNIX_SECONDS(last_purchased_at)) / 86400 >= @due_fraction * avg_interval_days
    AND (UNIX_SECONDS(@as_of) - UNIX_SECONDS(last_purchased_at)) / 86400 < @lapse_cycles * avg_interval_days AS due
FROM regular

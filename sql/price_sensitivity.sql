-- Price sensitivity: per shopper and category, where the shopper buys within the category's price
-- range (0 = its cheapest price, 1 = its dearest), their prices against the category's mean, and the
-- share of units bought on promotion; 180 days before @as_of, weighted by quantity.
-- Computed for the run's shoppers (shopper_privacy_staging) whose learn_preferences and learn_price are on.
WITH
-- The run's shoppers: the job stages every shopper it computes (those of active_shoppers.sql, less
-- any being erased) with their switches; a shopper without a row is not computed, never given defaults.
active AS (
  SELECT user_id
  FROM shopper_privacy_staging
  WHERE learn_preferences AND learn_price
),
-- Every shopper's purchases set a category's price range, not only the active shoppers', and whatever
-- their flags: a category's cheapest, dearest and mean price are the shop's prices as bought, an
-- aggregate over everyone, not any one shopper's pattern. Only the per-shopper rows need learn_price.
bought AS (
  SELECT user_id, category, price, quantity, promotion IS NOT NULL AS on_promotion
  FROM order_items
  WHERE event_time >= TIMESTAMP_SUB(@as_of, INTERVAL 180 DAY)
    AND event_time < @as_of
  -- Redelivery can repeat a row: keep one per (event_id, line).
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id, line ORDER BY sku) = 1
),
ranges AS (
  SELECT category, MIN(price) AS low, MAX(price) AS high, AVG(price) AS mean
  FROM bought
  GROUP BY category
)
SELECT
  b.user_id,
  b.category,
  COUNT(*) AS lines,
  SUM(b.quantity) AS units,
  -- A category whose prices are all equal puts every purchase in the middle.
  SAFE_DIVIDE(SUM(b.quantity * IFNULL(SAFE_DIVIDE(b.price - r.low, r.high - r.low), 0.5)), SUM(b.quantity)) AS price_position,
  SAFE_DIVIDE(SUM(b.quantity * IFNULL(SAFE_DIVIDE(b.price, r.mean), 1)), SUM(b.quantity)) AS price_index,
  SAFE_DIVIDE(SUM(IF(b.on_promotion, b.quantity, 0)), SUM(b.quantity)) AS promo_share
FROM bought AS b
JOIN active USING (user_id)
JOIN ranges AS r USING (category)
GROUP BY b.user_id, b.category

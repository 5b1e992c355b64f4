-- Price sensitivity: per shopper and category, where the shopper buys within the category's price
-- range (0 = its cheapest price, 1 = its dearest), their prices against the category's mean, and the
-- share of units bought on promotion; 180 days before @as_of, weighted by quantity.
-- Computed for the run's shoppers (shopper_privacy_staging) whose learn_preferences and learn_price are on.
-- The ranges are the run's, staged once for all its slices (category_price_ranges_staging, loaded by
-- stage_category_price_ranges.sql from every shopper's purchases, whatever their flags).
WITH
-- The run's shoppers: the job stages every shopper it computes (those of active_shoppers.sql, less
-- any being erased) with their switches; a shopper without a row is not computed, never given defaults.
active AS (
  SELECT user_id
  FROM shopper_privacy_staging
  WHERE learn_preferences AND learn_price
),
bought AS (
  SELECT i.user_id, i.category, i.price, i.quantity, i.promotion IS NOT NULL AS on_promotion
  -- The slice's order lines of the 180 days before @as_of, once each (stage_order_lines.sql).
  FROM order_lines_staging AS i
  JOIN active USING (user_id)
  WHERE i.as_of = @as_of
),
-- Ranges staged for another @as_of are never read: a category without a range of this @as_of is left out.
ranges AS (
  SELECT category, low, high, mean
  FROM category_price_ranges_staging
  WHERE as_of = @as_of
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
JOIN ranges AS r USING (category)
GROUP BY b.user_id, b.category

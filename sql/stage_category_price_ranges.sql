-- Category price ranges: per category, its cheapest, dearest and mean unit price over the 180 days
-- before @as_of, staged for price_sensitivity.sql (0 = the category's cheapest price, 1 = its dearest).
-- Every shopper's purchases set a category's range, not only the run's shoppers', and whatever their
-- flags: a category's cheapest, dearest and mean price are the shop's prices as bought, an aggregate
-- over everyone, not any one shopper's pattern.
-- The patterns job empties category_price_ranges_staging and runs this once per run, before its
-- slices: the window's order lines are scanned once, however many slices read the ranges.
INSERT INTO category_price_ranges_staging (category, low, high, mean, as_of)
SELECT category, MIN(price) AS low, MAX(price) AS high, AVG(price) AS mean, @as_of AS as_of
FROM (
  SELECT category, price
  -- A line the client sent under a visitor's and then their shopper's id is one line.
  FROM SHOPPER_ORDER_ITEMS() AS i
  WHERE event_time >= TIMESTAMP_SUB(@as_of, INTERVAL HISTORY_DAYS() DAY)
    AND event_time < @as_of
  -- Redelivery can repeat a row: keep one per (user_id, event_id, line).
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, event_id, line ORDER BY sku) = 1
) AS bought
GROUP BY category

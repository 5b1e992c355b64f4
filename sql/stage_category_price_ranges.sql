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
  -- Redelivery can repeat a row: one per (user_id, event_id, line), whose repeats are the same line. Grouped, not
  -- numbered: only the price and category are read, and a hash of the lines costs half a sort of them.
  SELECT ANY_VALUE(category) AS category, ANY_VALUE(price) AS price
  -- A line the client sent under a visitor's and then their shopper's id is one line.
  FROM SHOPPER_ORDER_ITEMS() AS i
  WHERE event_time >= TIMESTAMP_SUB(@as_of, INTERVAL HISTORY_DAYS() DAY)
    AND event_time < @as_of
  GROUP BY user_id, event_id, line
) AS bought
GROUP BY category

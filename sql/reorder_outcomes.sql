-- What shoppers did when a product stood at a point of its rhythm: the sufficient statistics of the reorder
-- model (functions/kernel/reorder-model.ts), for the run's slice of shoppers. Each order of the
-- REORDER_FIT_DAYS() days before @as_of is an example for every product the shopper bought in at least two
-- earlier orders at different times (of the staged 180 days): its cell is the days since the last purchase ÷
-- the mean interval, (last − first) / (orders − 1), the orders, and the interval, as real-time learning keeps
-- them; the outcome is whether the order bought it. Per cell: the examples, and the orders that bought.
-- Only shoppers who allow learning feed it (learn_preferences), and their reorder rhythm (learn_schedule).
WITH
learning AS (
  SELECT user_id
  FROM shopper_privacy_staging
  WHERE learn_preferences AND learn_schedule
),
-- One purchase per order and product, however many lines of the order it took.
purchases AS (
  SELECT i.user_id, i.event_id, i.sku, MIN(i.event_time) AS bought_at
  FROM order_lines_staging AS i
  JOIN learning USING (user_id)
  WHERE i.as_of = @as_of
  GROUP BY i.user_id, i.event_id, i.sku
),
orders AS (
  SELECT user_id, event_id, MIN(bought_at) AS ordered_at
  FROM purchases
  GROUP BY user_id, event_id
  HAVING MIN(bought_at) >= TIMESTAMP_SUB(@as_of, INTERVAL REORDER_FIT_DAYS() DAY)
),
rhythms AS (
  SELECT
    o.user_id,
    o.event_id AS order_event_id,
    p.sku,
    COUNT(*) AS orders,
    REORDER_MEAN_INTERVAL_DAYS(p.bought_at) AS mean_interval_days,
    REORDER_DAYS_SINCE_LAST(o.ordered_at, p.bought_at) AS days_since_last
  FROM orders AS o
  JOIN purchases AS p ON p.user_id = o.user_id AND p.bought_at < o.ordered_at
  GROUP BY o.user_id, o.event_id, p.sku
  HAVING COUNT(*) >= 2 AND MAX(p.bought_at) > MIN(p.bought_at)
),
judged AS (
  SELECT
    REORDER_CYCLE_BIN(r.days_since_last / r.mean_interval_days) AS cycle_bin,
    REORDER_ORDERS_BIN(r.orders) AS orders_bin,
    REORDER_INTERVAL_BIN(r.mean_interval_days) AS interval_bin,
    b.sku IS NOT NULL AS bought
  FROM rhythms AS r
  LEFT JOIN purchases AS b ON b.user_id = r.user_id AND b.event_id = r.order_event_id AND b.sku = r.sku
)
SELECT cycle_bin, orders_bin, interval_bin, COUNT(*) AS examples, COUNTIF(bought) AS bought
FROM judged
GROUP BY cycle_bin, orders_bin, interval_bin

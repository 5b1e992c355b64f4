-- Products bought together: per shopper, ordered pairs (sku, then with_sku) that were in the same order
-- at least twice in the 180 days before @as_of, with support (share of the shopper's orders holding
-- both), confidence (share of the orders holding sku that also hold with_sku) and lift (confidence
-- over with_sku's own share of orders). The 50 strongest by lift per shopper.
-- Computed for the run's shoppers (shopper_privacy_staging) whose learn_preferences is on.
WITH
-- The run's shoppers: the job stages every shopper it computes (those of active_shoppers.sql, less
-- any being erased) with their switches; a shopper without a row is not computed, never given defaults.
active AS (
  SELECT user_id
  FROM shopper_privacy_staging
  WHERE learn_preferences
),
-- One row per order and product; DISTINCT also drops rows repeated by redelivery.
baskets AS (
  SELECT DISTINCT i.user_id, i.event_id, i.sku
  FROM order_items AS i
  JOIN active USING (user_id)
  WHERE i.event_time >= TIMESTAMP_SUB(@as_of, INTERVAL 180 DAY)
    AND i.event_time < @as_of
),
shopper_orders AS (
  SELECT user_id, COUNT(DISTINCT event_id) AS orders
  FROM baskets
  GROUP BY user_id
),
product_orders AS (
  SELECT user_id, sku, COUNT(*) AS orders
  FROM baskets
  GROUP BY user_id, sku
),
pairs AS (
  SELECT a.user_id, a.sku, b.sku AS with_sku, COUNT(*) AS together
  FROM baskets AS a
  JOIN baskets AS b ON b.user_id = a.user_id AND b.event_id = a.event_id AND b.sku != a.sku
  GROUP BY a.user_id, a.sku, b.sku
  HAVING COUNT(*) >= 2
),
rules AS (
  SELECT
    p.user_id, p.sku, p.with_sku, p.together,
    p.together / s.orders AS support,
    p.together / x.orders AS confidence,
    (p.together / x.orders) / (y.orders / s.orders) AS lift
  FROM pairs AS p
  JOIN shopper_orders AS s ON s.user_id = p.user_id
  JOIN product_orders AS x ON x.user_id = p.user_id AND x.sku = p.sku
  JOIN product_orders AS y ON y.user_id = p.user_id AND y.sku = p.with_sku
)
SELECT *
FROM rules
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY lift DESC, together DESC, sku, with_sku) <= 50

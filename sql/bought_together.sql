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
-- One row per order and product, however many lines of the order list it.
baskets AS (
  SELECT DISTINCT i.user_id, i.event_id, i.sku
  -- The slice's order lines of the 180 days before @as_of, once each (stage_order_lines.sql).
  FROM order_lines_staging AS i
  JOIN active USING (user_id)
  WHERE i.as_of = @as_of
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
-- Each basket line with its product's order count, carried through the pairs instead of joined back
-- (DuckDB joined product_orders to itself on user_id first: 93M rows); a product in a single order
-- is together with nothing twice, so only the others are paired.
counted_baskets AS (
  SELECT b.user_id, b.event_id, b.sku, po.orders
  FROM baskets AS b
  JOIN product_orders AS po USING (user_id, sku)
  WHERE po.orders >= 2
),
-- Each pair of products once (the lesser sku first), with the orders holding both: half the rows of
-- pairing both ways, which the self-join and its grouping are most of the work of.
unordered_pairs AS (
  SELECT a.user_id, a.sku AS first_sku, b.sku AS second_sku, a.orders AS first_orders, b.orders AS second_orders, COUNT(*) AS together
  FROM counted_baskets AS a
  JOIN counted_baskets AS b ON b.user_id = a.user_id AND b.event_id = a.event_id AND b.sku > a.sku
  GROUP BY a.user_id, a.sku, b.sku, a.orders, b.orders
  HAVING COUNT(*) >= 2
),
-- Both directions of each pair: a rule from sku to with_sku has its own confidence and lift.
pairs AS (
  SELECT user_id, first_sku AS sku, second_sku AS with_sku, first_orders AS sku_orders, second_orders AS with_sku_orders, together
  FROM unordered_pairs
  UNION ALL
  SELECT user_id, second_sku, first_sku, second_orders, first_orders, together
  FROM unordered_pairs
),
rules AS (
  SELECT
    p.user_id, p.sku, p.with_sku, p.together,
    p.together / s.orders AS support,
    p.together / p.sku_orders AS confidence,
    (p.together / p.sku_orders) / (p.with_sku_orders / s.orders) AS lift
  FROM pairs AS p
  JOIN shopper_orders AS s ON s.user_id = p.user_id
)
SELECT *
FROM rules
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY lift DESC, together DESC, sku, with_sku) <= 50

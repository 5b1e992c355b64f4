-- The run's order lines: for every shopper the run computes (ACTIVE_SHOPPERS, as active_shoppers.sql finds
-- them), every line of the 180 days before @as_of, once, into run_order_lines_staging. The patterns job
-- empties the table and runs this once per run, before its slices: order_items is scanned once a night,
-- whatever the number of slices, and each slice reads only its own shoppers' lines from here
-- (stage_order_lines.sql). Whether a shopper learns is asked per slice, so every active shopper is staged;
-- the run empties the table when it ends. A linked visitor's lines are their shopper's (SHOPPER_ORDER_ITEMS,
-- functions/warehouse/sql-macros.ts).
INSERT INTO run_order_lines_staging (
  user_id, event_id, line, event_time, sku, product_name, category, brand, price, quantity, promotion, dietary_tags, as_of, staged_at
)
SELECT
  i.user_id, i.event_id, i.line, i.event_time, i.sku, i.product_name, i.category, i.brand, i.price, i.quantity,
  i.promotion, i.dietary_tags, @as_of AS as_of, @staged_at AS staged_at
FROM SHOPPER_ORDER_ITEMS() AS i
WHERE i.event_time >= TIMESTAMP_SUB(@as_of, INTERVAL HISTORY_DAYS() DAY)
  AND i.event_time < @as_of
  AND i.user_id IN ACTIVE_SHOPPERS(@since)
-- Redelivery can repeat a row: keep one per (user_id, event_id, line).
QUALIFY ROW_NUMBER() OVER (PARTITION BY i.user_id, i.event_id, i.line ORDER BY i.sku) = 1

-- The slice's order lines: for the shoppers staged in shopper_privacy_staging whose learn_preferences is
-- on, every line of the 180 days before @as_of, once, for the analyses of the slice to read
-- (order_lines_staging). The patterns job empties the table and runs this once per slice: order_items
-- is scanned, and redelivered rows removed, once per slice instead of once per analysis. A linked visitor's
-- lines are their shopper's (SHOPPER_ORDER_ITEMS, functions/warehouse/sql-macros.ts).
INSERT INTO order_lines_staging (
  user_id, event_id, line, event_time, sku, product_name, category, brand, price, quantity, promotion, dietary_tags, as_of
)
SELECT
  i.user_id, i.event_id, i.line, i.event_time, i.sku, i.product_name, i.category, i.brand, i.price, i.quantity,
  i.promotion, i.dietary_tags, @as_of AS as_of
FROM SHOPPER_ORDER_ITEMS() AS i
JOIN shopper_privacy_staging AS s USING (user_id)
WHERE s.learn_preferences
  AND i.event_time >= TIMESTAMP_SUB(@as_of, INTERVAL HISTORY_DAYS() DAY)
  AND i.event_time < @as_of
-- Redelivery can repeat a row: keep one per (user_id, event_id, line).
QUALIFY ROW_NUMBER() OVER (PARTITION BY i.user_id, i.event_id, i.line ORDER BY i.sku) = 1

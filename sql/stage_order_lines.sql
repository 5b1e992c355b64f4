-- The slice's order lines: for the shoppers staged in shopper_privacy_staging whose learn_preferences is
-- on, their lines the run staged (run_order_lines_staging, once each), for the analyses of the slice to
-- read (order_lines_staging). The patterns job empties the table and runs this once per slice. The slice's
-- shoppers are a range of ids, @first_shopper to @last_shopper in the warehouse's own order
-- (active_shoppers.sql sorts them): filtering on it, BigQuery reads only the blocks of the run's table
-- clustered in that range, not the whole night's lines again; the join keeps exactly the slice's learners.
INSERT INTO order_lines_staging (
  user_id, event_id, line, event_time, sku, product_name, category, brand, price, quantity, promotion, dietary_tags, as_of
)
SELECT
  r.user_id, r.event_id, r.line, r.event_time, r.sku, r.product_name, r.category, r.brand, r.price, r.quantity,
  r.promotion, r.dietary_tags, r.as_of
FROM run_order_lines_staging AS r
JOIN shopper_privacy_staging AS s USING (user_id)
WHERE s.learn_preferences
  AND r.user_id BETWEEN @first_shopper AND @last_shopper
  AND r.as_of = @as_of

-- Merges a history import's staged order lines into order_items: the lines of the first part of each order whose
-- event this import holds in events (merged by insert_imported_events.sql, now or by an earlier attempt), unless
-- order_items holds the line already. An order that events held before the import keeps the lines it had.
INSERT INTO order_items (
  event_id, line, order_id, user_id, event_time, sku, product_name, category, brand, price, quantity, promotion,
  dietary_tags, import_id
)
SELECT
  i.event_id, i.line, i.order_id, i.user_id, i.event_time, i.sku, i.product_name, i.category, i.brand, i.price,
  i.quantity, i.promotion, i.dietary_tags, i.import_id
FROM import_order_items_staging AS i
WHERE EXISTS (
    SELECT 1
    FROM events AS e
    WHERE e.event_time >= TIMESTAMP_SECONDS(0) AND e.user_id = i.user_id AND e.event_id = i.event_id AND e.import_id = @import_id
  )
  AND NOT EXISTS (
    SELECT 1
    FROM import_events_staging AS earlier
    WHERE earlier.user_id = i.user_id AND earlier.event_id = i.event_id AND earlier.import_line < i.import_line
  )
  AND NOT EXISTS (
    SELECT 1
    FROM order_items AS o
    WHERE o.event_time >= TIMESTAMP_SECONDS(0) AND o.user_id = i.user_id AND o.event_id = i.event_id AND o.line = i.line
  )

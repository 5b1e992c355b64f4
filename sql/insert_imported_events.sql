-- Merges a history import's staged events into events: the first part of each (user_id, event_id), unless events
-- holds it already (imported before, by this import's earlier attempt or another file, or collected live), so that
-- importing the same file again adds nothing. An event's key is looked up whatever its time, as another import may
-- have placed it elsewhere (the scan reaches back to the first partition).
INSERT INTO events (
  event_id, type, user_id, session_id, request_id, occurred_at, sent_at, received_at, event_time, search_id, query, sku,
  product_name, category, brand, price, quantity, position, cart_value, order_id, order_total, personalized,
  experiments, context, data, import_id
)
SELECT
  s.event_id, s.type, s.user_id, s.session_id, s.request_id, s.occurred_at, s.sent_at, s.received_at, s.event_time,
  s.search_id, s.query, s.sku, s.product_name, s.category, s.brand, s.price, s.quantity, s.position, s.cart_value,
  s.order_id, s.order_total, s.personalized, s.experiments, s.context, s.data, s.import_id
FROM import_events_staging AS s
WHERE NOT EXISTS (
    SELECT 1
    FROM import_events_staging AS earlier
    WHERE earlier.user_id = s.user_id AND earlier.event_id = s.event_id AND earlier.import_line < s.import_line
  )
  AND NOT EXISTS (
    SELECT 1
    FROM events AS e
    WHERE e.event_time >= TIMESTAMP_SECONDS(0) AND e.user_id = s.user_id AND e.event_id = s.event_id
  )

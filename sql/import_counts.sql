-- What a history import holds in the warehouse: its events and order lines, its shoppers, the time its events span,
-- and the rows it rejected.
SELECT
  (SELECT COUNT(*) FROM events WHERE event_time >= TIMESTAMP_SECONDS(0) AND import_id = @import_id) AS events,
  (SELECT COUNT(*) FROM order_items WHERE event_time >= TIMESTAMP_SECONDS(0) AND import_id = @import_id) AS order_lines,
  (SELECT COUNT(DISTINCT user_id) FROM events WHERE event_time >= TIMESTAMP_SECONDS(0) AND import_id = @import_id) AS shoppers,
  (SELECT MIN(event_time) FROM events WHERE event_time >= TIMESTAMP_SECONDS(0) AND import_id = @import_id) AS earliest,
  (SELECT MAX(event_time) FROM events WHERE event_time >= TIMESTAMP_SECONDS(0) AND import_id = @import_id) AS latest,
  (SELECT COUNT(*) FROM rejected_events WHERE request_id = @import_id AND source = @source) AS rejected

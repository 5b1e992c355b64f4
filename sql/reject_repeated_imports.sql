-- The events a history import staged twice, by (user_id, event_id): the part starting on the earliest file line
-- is the event, every later part is rejected here, with @repeated_reason and the line the event began on (for
-- order lines: an order whose lines came back after other orders). A part rejected by an earlier attempt of the
-- import is not rejected twice.
INSERT INTO rejected_events (request_id, event_index, event_id, type, user_id, reason, payload, source, received_at)
SELECT
  s.request_id, s.import_line, s.event_id, s.type, s.user_id,
  CONCAT(@repeated_reason, ' ', CAST(f.first_line AS STRING)),
  TO_JSON_STRING(s.data), @source, s.received_at
FROM import_events_staging AS s
JOIN (
  SELECT user_id, event_id, MIN(import_line) AS first_line
  FROM import_events_staging
  GROUP BY user_id, event_id
) AS f
  ON f.user_id = s.user_id AND f.event_id = s.event_id
WHERE s.import_line > f.first_line
  AND NOT EXISTS (
    SELECT 1
    FROM rejected_events AS r
    WHERE r.request_id = s.request_id AND r.source = @source AND r.event_index = s.import_line
  )

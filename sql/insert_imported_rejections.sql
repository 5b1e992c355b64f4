-- Merges a history import's staged rejections into rejected_events, each once: a row an earlier attempt of the
-- import kept (the same import, file line and payload) is not kept again.
INSERT INTO rejected_events (request_id, event_index, event_id, type, user_id, reason, payload, source, received_at)
SELECT s.request_id, s.event_index, s.event_id, s.type, s.user_id, s.reason, s.payload, s.source, s.received_at
FROM import_rejected_staging AS s
WHERE NOT EXISTS (
  SELECT 1
  FROM rejected_events AS r
  WHERE r.request_id = s.request_id AND r.source = s.source AND r.event_index = s.event_index AND r.payload = s.payload
)

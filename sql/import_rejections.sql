-- The first @limit rows a history import rejected, by file line: what its report shows (the rest stay in
-- rejected_events, request_id being the import).
SELECT event_index AS line, reason
FROM rejected_events
WHERE request_id = @import_id AND source = @source
ORDER BY event_index, reason
LIMIT @limit

-- The next @limit shoppers a history import loaded events of, after @after in id order: the import seeds their
-- preference documents slice by slice.
SELECT user_id
FROM events
WHERE event_time >= TIMESTAMP_SECONDS(0)
  AND import_id = @import_id
  AND user_id > @after
GROUP BY user_id
ORDER BY user_id
LIMIT @limit

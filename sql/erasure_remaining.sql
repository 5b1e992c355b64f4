-- Erasure check: per shopper of @user_ids and per table holding a user_id, the rows still there (only
-- the tables where some are). Run before the deletes it says what each shopper had, after them what
-- is left: an erasure completes only when nothing is. Every table with a user_id column belongs here
-- (test/erasure/coverage.test.ts fails otherwise).
SELECT user_id, 'events' AS table_name, COUNT(*) AS remaining
FROM events
WHERE event_time >= TIMESTAMP_SECONDS(0)
  AND user_id IN UNNEST(@user_ids)
GROUP BY user_id
UNION ALL
SELECT user_id, 'order_items', COUNT(*)
FROM order_items
WHERE event_time >= TIMESTAMP_SECONDS(0)
  AND user_id IN UNNEST(@user_ids)
GROUP BY user_id
UNION ALL
-- As erase_rejected_events.sql: by user_id, or by the id named in an unreadable message's payload.
SELECT id, 'rejected_events', COUNT(*)
FROM rejected_events AS r
CROSS JOIN UNNEST(@user_ids) AS id
WHERE r.user_id = id
  OR (r.user_id IS NULL AND STRPOS(r.payload, CONCAT('"', id, '"')) > 0)
GROUP BY id
UNION ALL
SELECT user_id, 'user_patterns', COUNT(*)
FROM user_patterns
WHERE user_id IN UNNEST(@user_ids)
GROUP BY user_id
UNION ALL
SELECT user_id, 'user_patterns_staging', COUNT(*)
FROM user_patterns_staging
WHERE user_id IN UNNEST(@user_ids)
GROUP BY user_id
UNION ALL
SELECT user_id, 'shopper_privacy_staging', COUNT(*)
FROM shopper_privacy_staging
WHERE user_id IN UNNEST(@user_ids)
GROUP BY user_id
UNION ALL
SELECT user_id, 'shopper_retention_staging', COUNT(*)
FROM shopper_retention_staging
WHERE user_id IN UNNEST(@user_ids)
GROUP BY user_id
UNION ALL
SELECT user_id, 'order_lines_staging', COUNT(*)
FROM order_lines_staging
WHERE user_id IN UNNEST(@user_ids)
GROUP BY user_id
UNION ALL
SELECT user_id, 'engagement_staging', COUNT(*)
FROM engagement_staging
WHERE user_id IN UNNEST(@user_ids)
GROUP BY user_id
UNION ALL
SELECT user_id, 'import_events_staging', COUNT(*)
FROM import_events_staging
WHERE user_id IN UNNEST(@user_ids)
GROUP BY user_id
UNION ALL
SELECT user_id, 'import_order_items_staging', COUNT(*)
FROM import_order_items_staging
WHERE user_id IN UNNEST(@user_ids)
GROUP BY user_id
UNION ALL
SELECT id, 'import_rejected_staging', COUNT(*)
FROM import_rejected_staging AS r
CROSS JOIN UNNEST(@user_ids) AS id
WHERE r.user_id = id
  OR (r.user_id IS NULL AND STRPOS(r.payload, CONCAT('"', id, '"')) > 0)
GROUP BY id
UNION ALL
-- A link names two ids: it is the erased one's whether they are the shopper or the visitor.
SELECT id, 'identity_links', COUNT(*)
FROM identity_links AS l
CROSS JOIN UNNEST(@user_ids) AS id
WHERE l.user_id = id
  OR l.anonymous_id = id
GROUP BY id

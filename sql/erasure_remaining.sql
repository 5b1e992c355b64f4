-- Erasure check: per shopper of @user_ids and per table holding a user_id, the rows still there (only
-- the tables where some are). Run before the deletes it says what each shopper had, after them what
-- is left: an erasure completes only when nothing is. Every table with a user_id column belongs here
-- (test/erasure/coverage.test.ts fails otherwise). A row of a visitor linked to a shopper counts as the
-- shopper's (ERASED_IDS, functions/warehouse/sql-macros.ts), as the erase files delete it with theirs.
SELECT x.user_id, 'events' AS table_name, COUNT(*) AS remaining
FROM events AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
WHERE t.event_time >= TIMESTAMP_SECONDS(0)
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'order_items', COUNT(*)
FROM order_items AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
WHERE t.event_time >= TIMESTAMP_SECONDS(0)
GROUP BY x.user_id
UNION ALL
-- As erase_rejected_events.sql: by user_id, or by the id named in an unreadable message's payload.
SELECT x.user_id, 'rejected_events', COUNT(*)
FROM rejected_events AS r
JOIN ERASED_IDS(@user_ids) AS x
  ON r.user_id = x.id
  OR (r.user_id IS NULL AND STRPOS(r.payload, CONCAT('"', x.id, '"')) > 0)
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'user_patterns', COUNT(*)
FROM user_patterns AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'user_patterns_staging', COUNT(*)
FROM user_patterns_staging AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'shopper_privacy_staging', COUNT(*)
FROM shopper_privacy_staging AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'shopper_retention_staging', COUNT(*)
FROM shopper_retention_staging AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'run_order_lines_staging', COUNT(*)
FROM run_order_lines_staging AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'run_engagement_staging', COUNT(*)
FROM run_engagement_staging AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'order_lines_staging', COUNT(*)
FROM order_lines_staging AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'engagement_staging', COUNT(*)
FROM engagement_staging AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'import_events_staging', COUNT(*)
FROM import_events_staging AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'import_order_items_staging', COUNT(*)
FROM import_order_items_staging AS t
JOIN ERASED_IDS(@user_ids) AS x ON x.id = t.user_id
GROUP BY x.user_id
UNION ALL
SELECT x.user_id, 'import_rejected_staging', COUNT(*)
FROM import_rejected_staging AS r
JOIN ERASED_IDS(@user_ids) AS x
  ON r.user_id = x.id
  OR (r.user_id IS NULL AND STRPOS(r.payload, CONCAT('"', x.id, '"')) > 0)
GROUP BY x.user_id
UNION ALL
-- A link names two ids: it is the erased one's whether they are the shopper or the visitor.
SELECT id, 'identity_links', COUNT(*)
FROM identity_links AS l
CROSS JOIN UNNEST(@user_ids) AS id
WHERE l.user_id = id
  OR l.anonymous_id = id
GROUP BY id

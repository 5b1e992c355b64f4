-- How many rows of each table retention would delete as of @as_of: the rows older than their
-- shopper's retention_days (shopper_retention_staging), or @default_retention_days for shoppers not
-- in it. A dry run of retain_events.sql, retain_order_items.sql and retain_rejected_events.sql, and
-- the form of their predicate that can be evaluated (ZetaSQL evaluates queries, not DML).
-- Each branch's WHERE is its DELETE's, word for word: test/retention/retention-sql.test.ts holds them equal.
-- The first condition is the partition filter: no shopper keeps rows for less than the shortest
-- retention in force (@shortest_retention_days, which the job computes), so no row younger than that
-- is to go, and BigQuery scans only the older partitions. INTERVAL takes its parameter in parentheses,
-- as DuckDB parses it.
-- The per-shopper cutoff compares whole seconds, since DuckDB cannot take INTERVAL column DAY; flooring
-- both sides never deletes a row inside its retention (one less than a second too old waits a run).
SELECT 'events' AS table_name, COUNT(*) AS expired_rows
FROM events AS t
WHERE t.event_time < TIMESTAMP_SUB(@as_of, INTERVAL (@shortest_retention_days) DAY)
  AND UNIX_SECONDS(t.event_time) < UNIX_SECONDS(@as_of) - 86400 * IFNULL(
    (SELECT s.retention_days FROM shopper_retention_staging AS s WHERE s.user_id = t.user_id),
    @default_retention_days)
UNION ALL
SELECT 'order_items' AS table_name, COUNT(*) AS expired_rows
FROM order_items AS t
WHERE t.event_time < TIMESTAMP_SUB(@as_of, INTERVAL (@shortest_retention_days) DAY)
  AND UNIX_SECONDS(t.event_time) < UNIX_SECONDS(@as_of) - 86400 * IFNULL(
    (SELECT s.retention_days FROM shopper_retention_staging AS s WHERE s.user_id = t.user_id),
    @default_retention_days)
UNION ALL
-- A rejected row without a shopper (an unreadable message) is left to the table's own 90-day
-- partition expiration.
SELECT 'rejected_events' AS table_name, COUNT(*) AS expired_rows
FROM rejected_events AS t
WHERE t.received_at < TIMESTAMP_SUB(@as_of, INTERVAL (@shortest_retention_days) DAY)
  AND t.user_id IS NOT NULL
  AND UNIX_SECONDS(t.received_at) < UNIX_SECONDS(@as_of) - 86400 * IFNULL(
    (SELECT s.retention_days FROM shopper_retention_staging AS s WHERE s.user_id = t.user_id),
    @default_retention_days)

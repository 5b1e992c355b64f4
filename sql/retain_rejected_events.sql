-- Deletes the rejected events of a shopper older than their retention as of @as_of: retention_days
-- from shopper_retention_staging, else @default_retention_days. Rows without a shopper (unreadable
-- messages) are left to the table's own 90-day partition expiration. The predicate is
-- retention_expired.sql's rejected_events branch, word for word (explained there;
-- test/retention/retention-sql.test.ts holds them equal).
DELETE FROM rejected_events AS t
WHERE t.received_at < TIMESTAMP_SUB(@as_of, INTERVAL (@shortest_retention_days) DAY)
  AND t.user_id IS NOT NULL
  AND UNIX_SECONDS(t.received_at) < UNIX_SECONDS(@as_of) - 86400 * IFNULL(
    (SELECT s.retention_days FROM shopper_retention_staging AS s WHERE s.user_id = t.user_id),
    @default_retention_days)

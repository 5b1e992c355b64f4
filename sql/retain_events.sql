-- Deletes the events older than their shopper's retention as of @as_of: retention_days from
-- shopper_retention_staging, else @default_retention_days. The partition expiration (730 days) is
-- the ceiling for everyone. The predicate is retention_expired.sql's events branch, word for word
-- (explained there; test/retention/retention-sql.test.ts holds them equal).
DELETE FROM events AS t
WHERE t.event_time < TIMESTAMP_SUB(@as_of, INTERVAL (@shortest_retention_days) DAY)
  AND UNIX_SECONDS(t.event_time) < UNIX_SECONDS(@as_of) - 86400 * IFNULL(
    (SELECT s.retention_days FROM shopper_retention_staging AS s WHERE s.user_id = t.user_id),
    @default_retention_days)

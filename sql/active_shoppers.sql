-- Shoppers with events received at or after @since: the ones a patterns run recomputes. A visitor linked to a
-- shopper is that shopper (SHOPPER_EVENTS, functions/warehouse/sql-macros.ts), and a shopper who linked a visitor
-- since @since is recomputed too, as their history now holds the visitor's.
-- Collect refuses events more than 30 days old (after clock-skew correction), so an event received
-- since @since has an event_time after @since - 31 days: that bound is the partition filter.
SELECT e.user_id
FROM SHOPPER_EVENTS() AS e
WHERE e.event_time >= TIMESTAMP_SUB(@since, INTERVAL 31 DAY)
  AND e.received_at >= @since
UNION DISTINCT
SELECT user_id
FROM identity_links
WHERE linked_at >= @since

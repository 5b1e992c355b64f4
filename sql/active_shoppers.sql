-- Shoppers with events received at or after @since: the ones a patterns run recomputes.
-- Collect refuses events more than 30 days old (after clock-skew correction), so an event received
-- since @since has an event_time after @since - 31 days: that bound is the partition filter.
SELECT DISTINCT user_id
FROM events
WHERE event_time >= TIMESTAMP_SUB(@since, INTERVAL 31 DAY)
  AND received_at >= @since

-- The run's engagement: for every shopper the run computes (ACTIVE_SHOPPERS, as active_shoppers.sql finds
-- them), every cart add and search result click of the 180 days before @as_of, once, into
-- run_engagement_staging. The patterns job empties the table and runs this once per run, before its slices:
-- events is scanned once a night, whatever the number of slices, and each slice reads only its own shoppers'
-- rows from here (stage_engagement.sql). A linked visitor's events are their shopper's (SHOPPER_EVENTS,
-- functions/warehouse/sql-macros.ts).
INSERT INTO run_engagement_staging (user_id, event_id, type, event_time, category, brand, as_of, staged_at)
SELECT e.user_id, e.event_id, e.type, e.event_time, e.category, e.brand, @as_of AS as_of, @staged_at AS staged_at
FROM SHOPPER_EVENTS() AS e
WHERE e.event_time >= TIMESTAMP_SUB(@as_of, INTERVAL HISTORY_DAYS() DAY)
  AND e.event_time < @as_of
  AND e.type IN ('cart_item_added', 'search_result_clicked')
  AND e.user_id IN ACTIVE_SHOPPERS(@since)
-- Redelivery can repeat a row: keep one per (user_id, event_id).
QUALIFY ROW_NUMBER() OVER (PARTITION BY e.user_id, e.event_id ORDER BY e.received_at) = 1
